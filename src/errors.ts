/**
 * Errors a user can act on: a stable code, a one-line message that names what is
 * wrong, and a hint on how to fix it. The CLI prints `error[CODE]: message (hint)`
 * on one line and exits non-zero; anything else that escapes is a bug.
 */
export type ErrorCode =
  | 'BAD_FLAG'      // unknown flag, bad value, missing required flag
  | 'BAD_CONFIG'    // config / model spec violates a rule
  | 'BAD_RECIPE'    // pruning recipe violates a rule
  | 'BAD_DATA'      // data set missing, unreadable or malformed
  | 'BAD_FILE'      // checkpoint / model file missing, corrupt, wrong version
  | 'UNSUPPORTED'   // a well-formed model uses something our engine does not have (ONNX import)
  | 'DIVERGED'      // NaN / Inf loss
  | 'NATIVE'        // the native addon failed to load or rejected a call
  | 'IO'            // a file could not be written (full disk, read-only, path under a file)
  | 'BUG'           // an error sparse-rnn did not expect: please report it
  | 'SERVICE'       // a server (PostgreSQL, Redis, S3) unreachable, refusing the login, or failing
  | 'INTERRUPTED';  // stopped by a signal; state saved for resume

export class SparseRnnError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'SparseRnnError';
    this.code = code;
    this.hint = hint;
  }
  /** One line for a terminal. */
  toLine(): string {
    return `error[${this.code}]: ${this.message}${this.hint ? ` (hint: ${this.hint})` : ''}`;
  }
}

export function fail(code: ErrorCode, message: string, hint?: string): never {
  throw new SparseRnnError(code, message, hint);
}

/** Marks an error thrown by a native addon, so the CLI labels it NATIVE (and nothing else). */
export const FROM_ADDON = Symbol.for('sparse-rnn.fromAddon');

export function isAddonError(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as Record<symbol, unknown>)[FROM_ADDON] === true;
}

/** Calls f; an error it throws is marked as coming from the addon and rethrown unchanged. */
export function addonCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e && typeof e === 'object') (e as Record<symbol, unknown>)[FROM_ADDON] = true;
    throw e;
  }
}
