/**
 * Where a distributed study keeps its runs' checkpoints: a directory every worker
 * can reach (NFS, a shared volume) or an S3-compatible bucket (AWS S3, MinIO, Ceph;
 * npm `@aws-sdk/client-s3`).
 *
 * A checkpoint is written under a new name (`<run id>/<step>-<worker>.bundle`) and
 * only then recorded as the run's latest in the results store, so a half-written
 * checkpoint is never the latest. In a directory each object is itself written to a
 * temporary name, fsynced and renamed.
 *
 * A bundle is the run folder's state at a checkpoint: ckpt/last.srnn plus the small
 * files a resumed run and its final record read (prune.jsonl, attempts.jsonl,
 * config.json), packed as one object (packBundle / unpackBundle).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { maskUrl, serviceError } from './urls.js';

export interface ArtifactStore {
  readonly where: string;
  /** Checks that objects can be written and read back (fails with one line). */
  check(): Promise<void>;
  put(key: string, data: Uint8Array): Promise<void>;
  /** The object, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Removes every object under `prefix/` (best effort). */
  removePrefix(prefix: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
function checkKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((p) => p === '..' || p === '.')) throw new Error(`bad artifact key ${JSON.stringify(key)}`);
}

export class DirArtifacts implements ArtifactStore {
  readonly where: string;
  constructor(readonly dir: string) {
    this.where = path.resolve(dir);
  }

  async check(): Promise<void> {
    const probe = path.join(this.dir, `.probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      writeFileAtomic(probe, 'ok');
      if (fs.readFileSync(probe, 'utf8') !== 'ok') throw new Error('read back something else');
    } catch (e) {
      fail('BAD_FILE', `the artifact directory ${this.where} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'give --artifacts a directory every worker can write (e.g. on NFS), or an s3://bucket/prefix');
    } finally {
      try { fs.rmSync(probe, { force: true }); } catch { /* nothing was written */ }
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    checkKey(key);
    writeFileAtomic(path.join(this.dir, key), data);
  }

  async get(key: string): Promise<Uint8Array | null> {
    checkKey(key);
    try {
      return fs.readFileSync(path.join(this.dir, key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async removePrefix(prefix: string): Promise<void> {
    checkKey(prefix);
    fs.rmSync(path.join(this.dir, prefix), { recursive: true, force: true });
  }
}

/**
 * s3://bucket/prefix. Endpoint, region and credentials come from the usual AWS
 * environment (AWS_ENDPOINT_URL for MinIO / Ceph, AWS_REGION, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY) or the options; path-style addressing when an endpoint is set.
 */
export class S3Artifacts implements ArtifactStore {
  readonly where: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private client: import('@aws-sdk/client-s3').S3Client | null = null;

  constructor(url: string, private readonly o: { endpoint?: string; region?: string; accessKeyId?: string; secretAccessKey?: string } = {}) {
    const u = new URL(url);
    this.bucket = u.hostname;
    this.prefix = u.pathname.replace(/^\/+|\/+$/g, '');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(this.bucket)) {
      fail('BAD_FLAG', `--artifacts ${maskUrl(url)}: ${JSON.stringify(this.bucket)} is not a bucket name`, 'an S3 bucket name is 3-63 lower-case letters, digits, dots and hyphens: s3://my-bucket/studies');
    }
    this.where = `s3://${this.bucket}/${this.prefix}`;
  }

  private async s3() {
    // The SDK warns on every worker start under Node < 22 that its releases after January
    // 2027 will need Node 22. package.json pins a release that supports Node 20 (the
    // platform sparse-rnn targets), so the notice says nothing about this install; its
    // documented switch turns it off unless the user set that variable themselves.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const m = await import('@aws-sdk/client-s3');
    if (!this.client) {
      const endpoint = this.o.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
      const accessKeyId = this.o.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = this.o.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY;
      this.client = new m.S3Client({
        region: this.o.region ?? process.env.AWS_REGION ?? 'us-east-1',
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
        maxAttempts: 5,
      });
    }
    return { m, c: this.client };
  }

  private full(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async check(): Promise<void> {
    const key = `.probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      await this.put(key, new TextEncoder().encode('ok'));
      const back = await this.get(key);
      if (!back || new TextDecoder().decode(back) !== 'ok') throw new Error('read back something else');
      const { m, c } = await this.s3();
      await c.send(new m.DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
    } catch (e) {
      throw serviceError('S3', this.where, e);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const { m, c } = await this.s3();
    await c.send(new m.PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: data }));
  }

  async get(key: string): Promise<Uint8Array | null> {
    const { m, c } = await this.s3();
    try {
      const r = await c.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return r.Body ? await r.Body.transformToByteArray() : null;
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw e;
    }
  }

  async removePrefix(prefix: string): Promise<void> {
    const { m, c } = await this.s3();
    const p = `${this.full(prefix)}/`;
    let token: string | undefined;
    do {
      const r = await c.send(new m.ListObjectsV2Command({ Bucket: this.bucket, Prefix: p, ContinuationToken: token }));
      const keys = (r.Contents ?? []).map((o) => ({ Key: o.Key! }));
      for (const k of keys) await c.send(new m.DeleteObjectCommand({ Bucket: this.bucket, Key: k.Key }));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }
}

/** --artifacts DIR | s3://bucket/prefix → the store. */
export function openArtifacts(spec: string): ArtifactStore {
  if (/^s3:\/\//i.test(spec)) return new S3Artifacts(spec);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) fail('BAD_FLAG', `--artifacts ${maskUrl(spec)}: unknown kind of store`, 'give a directory or s3://bucket/prefix');
  return new DirArtifacts(spec);
}

// ---- bundles ---------------------------------------------------------------

const MAGIC = 'SRNNBUNDLE1\n';

/** Files of a run folder (relative paths) → one object: magic, a JSON index line, then the bytes. */
export function packBundle(runDir: string, files: readonly string[]): Uint8Array {
  const present = files.filter((f) => fs.existsSync(path.join(runDir, f)));
  const datas = present.map((f) => fs.readFileSync(path.join(runDir, f)));
  const index = Buffer.from(JSON.stringify(present.map((f, i) => ({ name: f, size: datas[i].length }))) + '\n');
  return Buffer.concat([Buffer.from(MAGIC), index, ...datas]);
}

/** Writes a bundle's files into runDir (each atomically). */
export function unpackBundle(data: Uint8Array, runDir: string): void {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) fail('BAD_FILE', 'a checkpoint bundle in the artifact store is not one', 'the artifact store holds something else; use an empty one');
  const nl = buf.indexOf(0x0a, MAGIC.length);
  const index = JSON.parse(buf.subarray(MAGIC.length, nl).toString()) as { name: string; size: number }[];
  let at = nl + 1;
  for (const f of index) {
    checkKey(f.name);
    const bytes = buf.subarray(at, at + f.size);
    if (bytes.length !== f.size) fail('BAD_FILE', `a checkpoint bundle is cut short (${f.name})`, 'its run starts over from the previous checkpoint');
    writeFileAtomic(path.join(runDir, f.name), bytes);
    at += f.size;
  }
}
