import type { PlacetoPayClock } from './clock';
import { WorkerLoop } from './worker-loop';

/** What one window of counted occurrences comes to, for its log line. */
export interface WindowSummary<K extends string> {
  /** Occurrences since the last line, all kinds together. */
  total: number;
  /** Occurrences since the last line, per kind, in the order each kind first came. */
  counts: ReadonlyMap<K, number>;
  /** The detail of the newest occurrence. */
  latest: string;
}

export interface WindowedLogOptions<K extends string> {
  clock: PlacetoPayClock;
  /** At most one line per this many milliseconds. */
  windowMs: number;
  /** Writes one line (the caller words it and picks the level). */
  write: (summary: WindowSummary<K>) => void;
}

/**
 * Counts occurrences (refusals, mostly) and logs them at most once a window: the first of a quiet
 * spell at once, then one line with the count of the rest when the window ends (by a later
 * occurrence or a timer). A flood of hostile requests costs one line a window, never one a
 * request; `totals` keeps the count since start.
 */
export class WindowedLog<K extends string> {
  private readonly pending = new Map<K, number>();
  private readonly counted = new Map<K, number>();
  private latest = '';
  private windowStart = -Infinity;
  /** Writes the count of a window that no later occurrence closed. */
  private readonly flusher = new WorkerLoop({ pass: async () => this.flush() });

  constructor(private readonly options: WindowedLogOptions<K>) {}

  /** Every occurrence since start, per kind. */
  get totals(): ReadonlyMap<K, number> {
    return this.counted;
  }

  /** Counts one occurrence; `detail` must already be escaped for a log line. */
  record(kind: K, detail: string): void {
    this.pending.set(kind, (this.pending.get(kind) ?? 0) + 1);
    this.counted.set(kind, (this.counted.get(kind) ?? 0) + 1);
    this.latest = detail;
    const now = this.options.clock.now().getTime();
    if (now - this.windowStart >= this.options.windowMs) this.flush();
    else this.flusher.later(this.options.windowMs);
  }

  /** Writes the occurrences not written yet, if any, and starts a new window. */
  flush(): void {
    this.windowStart = this.options.clock.now().getTime();
    let total = 0;
    for (const count of this.pending.values()) total += count;
    if (total === 0) return;
    this.options.write({ total, counts: new Map(this.pending), latest: this.latest });
    this.pending.clear();
  }

  /** No more timers; writes what is left (at shutdown). */
  async stop(): Promise<void> {
    await this.flusher.stop(0);
    this.flush();
  }
}
