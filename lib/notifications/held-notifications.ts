import { backoffDelay, equalJitter } from '../gateway/retry-policy';
import { waitAtMost } from '../common/time-limits';

const RETRY = { baseDelayMs: 250, maxDelayMs: 5_000 };

/**
 * Notifications the database could not take, kept in memory (at most `limit`) and written oldest
 * first, with backoff, until it takes them: PlacetoPay sends each once, so an error answer would
 * lose it for good. One writer at a time. A pass stops when the database refuses two in a row (it
 * is down); one it refuses while it takes the next is moved behind the rest, so it never holds
 * them back.
 */
export class HeldNotifications<T> {
  private readonly items = new Map<string, T>();
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private attempts = 0;
  private stopped = false;

  constructor(
    /** Writes one item; throws when the database did not take it (it stays held). */
    private readonly write: (item: T) => Promise<void>,
    private readonly limit: number,
    /** Called when a pass has written everything held. */
    private readonly onDrained: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Holds `item` under `key` (replacing what was held there); false when full or stopped. */
  hold(key: string, item: T): boolean {
    if (this.stopped) return false;
    if (!this.items.has(key) && this.items.size >= this.limit) return false;
    this.items.set(key, item);
    // A pass under way takes it in turn; if that pass fails, it schedules the next.
    if (!this.writing) this.schedule();
    return true;
  }

  /** Drops the oldest item that `matches`, to make room; returns it. */
  evict(matches: (item: T) => boolean): T | undefined {
    for (const [key, item] of this.items) {
      if (matches(item)) {
        this.items.delete(key);
        return item;
      }
    }
    return undefined;
  }

  /** Writes what is held now (joins a pass under way). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing ??= this.writeAll().finally(() => {
      this.writing = undefined;
      // Held between the pass's end and now: nothing else would schedule it.
      this.schedule();
    });
    return this.writing;
  }

  /**
   * Stops the retries after a last pass, waiting for it at most `graceMs`; resolves with what is
   * still held.
   */
  async stop(graceMs: number): Promise<T[]> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lastPass = (async () => {
      await this.writing;
      if (this.items.size > 0) await this.flush();
    })();
    await waitAtMost(lastPass, graceMs);
    return [...this.items.values()];
  }

  private async writeAll(): Promise<void> {
    if (this.items.size === 0) return;
    /** The first item refused in this pass, skipped to see whether the database takes the next. */
    let refused: string | undefined;
    for (;;) {
      const next = this.firstExcept(refused);
      if (!next) break;
      const [key, item] = next;
      try {
        await this.write(item);
      } catch {
        if (refused === undefined && this.items.size > 1) {
          refused = key;
          continue;
        }
        this.schedule();
        return;
      }
      // Replaced while it was written: the newer one is written in turn.
      if (this.items.get(key) === item) this.items.delete(key);
      if (refused !== undefined) {
        // The database is up and took this one: the refused one goes behind the rest.
        const item = this.items.get(refused);
        this.items.delete(refused);
        if (item !== undefined) this.items.set(refused, item);
        refused = undefined;
      }
    }
    // Only the refused one is left (the rest was dropped meanwhile).
    if (this.items.size > 0) return this.schedule();
    this.attempts = 0;
    this.onDrained();
  }

  private firstExcept(skip: string | undefined): [string, T] | undefined {
    for (const entry of this.items) if (entry[0] !== skip) return entry;
    return undefined;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.items.size === 0) return;
    const delay = backoffDelay(++this.attempts, RETRY, equalJitter());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }
}
