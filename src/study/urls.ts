/**
 * Connection strings of a distributed study: masking passwords for every message,
 * and turning a server's failure into one `error[SERVICE]` line with a hint.
 */
import { SparseRnnError } from '../errors.js';

/** The URL with its password replaced by *** (anything that does not parse is masked whole after the scheme). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Removes every occurrence of the secrets of `urls` from a message. */
export function scrub(message: string, urls: readonly string[]): string {
  let m = message;
  for (const url of urls) {
    try {
      const p = decodeURIComponent(new URL(url).password);
      if (p) m = m.split(p).join('***');
    } catch { /* not a URL */ }
  }
  return m;
}

/** A failure to reach or use a service → error[SERVICE] naming it (password masked) with a hint. */
export function serviceError(service: 'PostgreSQL' | 'Redis' | 'S3', where: string, e: unknown): SparseRnnError {
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  const msg = (err?.message ?? String(e)).split('\n')[0];
  let hint = `check that ${service} runs and that the URL is right`;
  if (code === '28P01' || code === '28000' || /password authentication|WRONGPASS|NOAUTH|invalid username-password/i.test(msg)) hint = 'check the user name and password in the URL (or the PG* / REDIS environment variables)';
  else if (code === '3D000') hint = 'create the database first (createdb NAME), or name an existing one in the URL';
  else if (code === 'ECONNREFUSED') hint = `nothing listens there: start ${service}, or fix the host and port in the URL`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') hint = 'the host name does not resolve: fix the host in the URL';
  else if (code === '42501') hint = 'the user lacks a privilege: grant it CREATE on the database (and the schema)';
  return new SparseRnnError('SERVICE', `${service} at ${where}: ${msg}${code && !msg.includes(code) ? ` (${code})` : ''}`, hint);
}
