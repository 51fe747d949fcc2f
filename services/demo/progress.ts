/**
 * Live progress for the demo: one status line redrawn in place on a terminal
 * (a progress bar and counters), milestones printed above it; on a pipe (CI
 * logs) the status line is printed every 10% instead of redrawn.
 */
export class Progress {
  private lastDecile = -1;
  private status = '';

  constructor(
    private readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean },
    private readonly total: number,
  ) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** A milestone: printed on its own line, above the status line. */
  say(message: string): void {
    if (this.tty) this.out.write(`\r\x1b[2K`);
    this.out.write(`${message}\n`);
    if (this.tty && this.status) this.out.write(this.status);
  }

  update(done: number, counters: string): void {
    const share = Math.min(1, done / this.total);
    const width = 28;
    const filled = Math.round(share * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    this.status = `${bar} ${(share * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} events | ${counters}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${this.status}`);
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`${this.status}\n`);
    }
  }

  done(): void {
    if (this.tty) this.out.write('\n');
  }
}
