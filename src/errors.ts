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
