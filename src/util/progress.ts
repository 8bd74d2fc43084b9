/**
 * Live progress for long work: done/total, rate, time left. On a terminal it
 * redraws one line; elsewhere (CI, pipes) it prints a line every `everyMs`.
 */
export interface ProgressOptions {
  total: number;
  /** Unit of the rate, e.g. 'tok/s'. */
  rateUnit?: string;
  stream?: NodeJS.WriteStream;
  everyMs?: number;
  enabled?: boolean;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  if (sec < 60) return `${sec.toFixed(0)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(Math.round(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.round((sec % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private readonly t0 = performance.now();
  private last = 0;
  private units = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
  }

  /** done: items done of total; units: rate units added since the last call (tokens). */
  update(done: number, units: number, text: string, force = false): void {
    this.units += units;
    if (this.o.enabled === false) return;
    const now = performance.now();
    const every = this.o.everyMs ?? (this.tty ? 200 : 10_000);
    if (!force && now - this.last < every) return;
    this.last = now;
    const sec = (now - this.t0) / 1000;
    const rate = this.units / Math.max(sec, 1e-9);
    const left = done > 0 ? (sec / done) * (this.o.total - done) : NaN;
    const pct = this.o.total > 0 ? ((100 * done) / this.o.total).toFixed(1) : '?';
    const line = `${done}/${this.o.total} (${pct}%) | ${Math.round(rate).toLocaleString('en-US')} ${this.o.rateUnit ?? 'it/s'} | ${text} | ${formatDuration(sec)} elapsed, ${formatDuration(left)} left`;
    if (this.tty) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(line + '\n');
  }

  /** Ends a redrawn line so the next output starts clean. */
  done(): void {
    if (this.tty && this.o.enabled !== false) this.stream.write('\n');
  }

  rate(): number {
    return this.units / Math.max((performance.now() - this.t0) / 1000, 1e-9);
  }
}
