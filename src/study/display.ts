/**
 * The study's progress on stderr: one line per finished run as it happens, and a
 * status block (overall: runs done / total, elapsed, time left; then one line per
 * worker: its run, epoch, share done). On a terminal the block is redrawn in place;
 * elsewhere (CI, pipes) it is printed every `everyMs`.
 */
import { formatDuration } from '../util/progress.js';

export interface WorkerStatus {
  name: string;
  /** What it runs, e.g. 'lstm agp both 0.9 seed 1'; undefined = idle. */
  what?: string;
  epoch?: number;
  epochs?: number;
  /** 0–1, estimated. */
  fraction?: number;
}

export interface Status {
  done: number;
  total: number;
  failed: number;
  elapsed: number;
  left: number;
  workers: WorkerStatus[];
  note?: string;
}

export class StudyDisplay {
  private readonly tty: boolean;
  private drawn = 0;
  private lastDraw = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly everyMs?: number, private readonly enabled = true) {
    this.tty = !!stream.isTTY;
  }

  private clear(): void {
    if (this.tty && this.drawn > 0) {
      this.stream.write(`\x1b[${this.drawn}A\x1b[0J`);
      this.drawn = 0;
    }
  }

  /** A line that stays (a run finished or failed, a notice). */
  log(line: string, status?: Status): void {
    if (!this.enabled) return;
    this.clear();
    this.stream.write(line + '\n');
    if (status && this.tty) this.draw(status, true);
  }

  static format(s: Status): string[] {
    const pct = s.total ? ((100 * s.done) / s.total).toFixed(0) : '100';
    const head = `study: ${s.done}/${s.total} runs (${pct}%)${s.failed ? `, ${s.failed} failed` : ''} | ${formatDuration(s.elapsed)} elapsed, ~${formatDuration(s.left)} left${s.note ? ` | ${s.note}` : ''}`;
    const lines = [head];
    for (const w of s.workers) {
      if (!w.what) { lines.push(`  ${w.name}: idle`); continue; }
      const ep = w.epoch !== undefined && w.epochs ? `epoch ${Math.min(w.epoch, w.epochs)}/${w.epochs}` : 'starting';
      const fr = w.fraction !== undefined ? ` ~${Math.round(100 * Math.min(w.fraction, 0.99))}%` : '';
      lines.push(`  ${w.name}: ${w.what} | ${ep}${fr}`);
    }
    return lines;
  }

  /** The status block: redrawn on a terminal, printed every `everyMs` elsewhere. */
  draw(s: Status, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    const every = this.everyMs ?? (this.tty ? 500 : 15_000);
    if (!force && now - this.lastDraw < every) return;
    this.lastDraw = now;
    const lines = StudyDisplay.format(s);
    if (this.tty) {
      this.clear();
      const cols = this.stream.columns || 120;
      this.stream.write(lines.map((l) => (l.length > cols - 1 ? l.slice(0, cols - 2) + '…' : l)).join('\n') + '\n');
      this.drawn = lines.length;
    } else {
      this.stream.write(lines.join('\n') + '\n');
    }
  }

  /** Leaves the last block on screen. */
  end(): void {
    this.drawn = 0;
  }
}
