import { backoffDelay, equalJitter } from '../gateway/retry-policy';

const RETRY = { baseDelayMs: 250, maxDelayMs: 5_000 };

/**
 * Notifications the database could not take, kept in memory (at most `limit`) and written oldest
 * first, with backoff, until it takes them: PlacetoPay sends each once, so an error answer would
 * lose it for good. One writer at a time; a pass stops at the first failure.
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

  /** Holds `item` under `key` (replacing what was held there); false when full. */
  hold(key: string, item: T): boolean {
    if (!this.items.has(key) && this.items.size >= this.limit) return false;
    this.items.set(key, item);
    // A pass under way takes it in turn; if that pass fails, it schedules the next.
    if (!this.writing) this.schedule();
    return true;
  }

  /** Writes what is held now (joins a pass under way). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
    return this.writing;
  }

  /** Stops the retries after a last pass; resolves with what is still held. */
  async stop(): Promise<T[]> {
    this.stopped = true;
    await this.writing;
    if (this.items.size > 0) await this.flush();
    if (this.timer) clearTimeout(this.timer);
    return [...this.items.values()];
  }

  private async writeAll(): Promise<void> {
    if (this.items.size === 0) return;
    while (this.items.size > 0) {
      const [key, item] = this.items.entries().next().value as [string, T];
      try {
        await this.write(item);
      } catch {
        this.schedule();
        return;
      }
      // Replaced while it was written: the newer one is written in turn.
      if (this.items.get(key) === item) this.items.delete(key);
    }
    this.attempts = 0;
    this.onDrained();
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
