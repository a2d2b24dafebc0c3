import { waitAtMost } from '../common/time-limits';
import { WorkerLoop } from '../common/worker-loop';

const RETRY = { baseDelayMs: 250, maxDelayMs: 5_000 };

/** A pass that left something unwritten: the writer tries again after its backoff. */
class LeftHeld extends Error {}

/**
 * Notifications the database could not take, kept in memory (at most `limit`) and written oldest
 * first, with backoff, until it takes them: PlacetoPay sends each once, so an error answer would
 * lose it for good. The inbox holds here only what its journal has on disk already: this is the
 * cache in front of the journal that writes them. One writer at a time. A pass stops when the database refuses two in a row (it
 * is down); one it refuses while it takes the next is moved behind the rest, so it never holds
 * them back.
 */
export class HeldNotifications<T> {
  private readonly items = new Map<string, T>();
  /** Passes write what is held; one that leaves some is retried with backoff (the first, too). */
  private readonly writer = new WorkerLoop({
    pass: () => this.writeAll(),
    backoff: RETRY,
    // Notifications are waiting for the database: the process stays up to write them.
    holdProcess: true,
  });

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

  /** Whether stop() was called: nothing more is held. */
  get stopped(): boolean {
    return this.writer.stopped;
  }

  /** Whether `limit` items are held. */
  get full(): boolean {
    return this.items.size >= this.limit;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /**
   * Holds `item` under `key` (replacing what was held there); false when full or stopped.
   * `beyondLimit`: held even when full (what an earlier process left in the journal).
   */
  hold(key: string, item: T, beyondLimit = false): boolean {
    if (this.writer.stopped) return false;
    if (!beyondLimit && !this.items.has(key) && this.items.size >= this.limit) return false;
    this.items.set(key, item);
    // A pass under way takes it in turn; if that pass fails, the next comes after the backoff.
    this.writer.later();
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
    return this.writer.run().catch(() => undefined);
  }

  /**
   * Stops the retries after a last pass, waiting for it at most `graceMs`; resolves with what is
   * still held.
   */
  async stop(graceMs: number): Promise<T[]> {
    await this.writer.stop(0);
    const lastPass = (async () => {
      await this.writer.idle();
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
        throw new LeftHeld();
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
    if (this.items.size > 0) throw new LeftHeld();
    this.onDrained();
  }

  private firstExcept(skip: string | undefined): [string, T] | undefined {
    for (const entry of this.items) if (entry[0] !== skip) return entry;
    return undefined;
  }
}
