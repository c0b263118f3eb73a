/**
 * When a folder is analysed after its files change. A lone edit is analysed at once; an edit that
 * comes within the burst window of the one before it (typing) waits until the window has passed
 * since the last edit, so the last edit of a burst is always analysed and the ones before it mostly
 * are not. One analysis runs at a time: whatever changes while it runs is taken by exactly one more
 * analysis, which reads the newest text.
 *
 * An analysis holds the event loop, so keystrokes typed meanwhile are only seen when it ends, all
 * at once and seemingly long after the keystroke before them. An edit within the window after an
 * analysis ended therefore counts as part of a burst too; otherwise a project whose analysis takes
 * longer than the window would be analysed once per queued keystroke.
 */

/** The scheduler's time source: the system's, or one a test steps by hand. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

export class AnalysisScheduler {
  private running = false;
  /** Something changed that no started analysis has read yet. */
  private dirty = false;
  /** The follow-up of the running analysis was asked for by now(): it does not wait for quiet. */
  private urgent = false;
  private timer: unknown;
  private lastEditAt = -Infinity;
  private lastRunEndedAt = -Infinity;
  /** The last edit came within the burst window of the edit or the analysis end before it. */
  private inBurst = false;
  /** Callers of now(), resolved when the next analysis to start has ended. */
  private waiting: (() => void)[] = [];
  private disposed = false;

  /** `analyse` reads the folder's current files, so a run started after a change sees it; it must not throw. */
  constructor(
    private readonly analyse: () => Promise<void>,
    private readonly burstMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A file changed (an edit, a save, a file event). */
  edited(): void {
    if (this.disposed) return;
    const now = this.clock.now();
    this.inBurst = now - Math.max(this.lastEditAt, this.lastRunEndedAt) < this.burstMs;
    this.lastEditAt = now;
    this.dirty = true;
    if (this.running) return;
    if (this.inBurst) this.startWhenQuiet();
    else this.start();
  }

  /** Analyses without waiting for quiet (after a reload); resolves when an analysis started after this call has ended. */
  now(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.dirty = true;
    if (this.running) this.urgent = true;
    else this.start();
    return done;
  }

  dispose(): void {
    this.disposed = true;
    this.clock.clearTimeout(this.timer);
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private startWhenQuiet(): void {
    this.clock.clearTimeout(this.timer);
    const wait = this.lastEditAt + this.burstMs - this.clock.now();
    if (wait <= 0) return this.start();
    this.timer = this.clock.setTimeout(() => this.start(), wait);
  }

  private start(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    // Changes made in the same turn as the one that started this run (a batch of file events) are its own.
    await Promise.resolve();
    this.dirty = false;
    this.urgent = false;
    const waiting = this.waiting.splice(0);
    try {
      await this.analyse();
    } finally {
      this.running = false;
      this.lastRunEndedAt = this.clock.now();
      for (const resolve of waiting) resolve();
      if (this.dirty && !this.disposed) {
        if (this.urgent || !this.inBurst) this.start();
        else this.startWhenQuiet();
      }
    }
  }
}
