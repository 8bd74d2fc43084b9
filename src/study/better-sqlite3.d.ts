// The part of better-sqlite3 12.x this project uses (the package ships no types and
// @types/better-sqlite3 is not a dependency).
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult { changes: number; lastInsertRowid: number | bigint }
    interface Statement {
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    interface Transaction<F extends (...args: any[]) => any> {
      (...args: Parameters<F>): ReturnType<F>;
      deferred(...args: Parameters<F>): ReturnType<F>;
      immediate(...args: Parameters<F>): ReturnType<F>;
      exclusive(...args: Parameters<F>): ReturnType<F>;
    }
    interface Options { readonly?: boolean; fileMustExist?: boolean; timeout?: number }
    interface Database {
      readonly open: boolean;
      prepare(sql: string): Statement;
      exec(sql: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F>;
      close(): this;
      /** SQLite's online backup into `destination` (a new file); resolves when complete. */
      backup(destination: string): Promise<unknown>;
    }
  }
  const Database: new (filename: string, options?: Database.Options) => Database.Database;
  export = Database;
}
