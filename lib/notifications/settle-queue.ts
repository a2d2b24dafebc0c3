import type { Logger } from '@nestjs/common';
import type { PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import { WorkerLoop } from '../common/worker-loop';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';

/**
 * Settling yields to incoming notifications: it waits for a pause of QUIET_MS in them, but never
 * holds a queued notification back longer than MAX_DEFER_MS. The row is in the inbox already, so
 * nothing waits on this but the payment's status.
 */
const QUIET_MS = 20;
const MAX_DEFER_MS = 10_000;
/**
 * Recorded notifications waiting in memory to be settled, at most. Past it, new rows wait in the
 * inbox only (and later ones join them there, to keep the order), and the queue refills from the
 * inbox once it drains: a stream faster than settling costs rows, not memory.
 */
const QUEUE_LIMIT = 1_000;
/**
 * Rows a refill reads back at once. Loading them is synchronous work on the event loop (1,000 rows
 * held it about 20 ms, delaying every answer meanwhile; 100 rows about 2 ms).
 */
const REFILL_BATCH = 100;
/** A refill the database refused (or whose claims it refused) is tried again after this. */
const REFILL_PAUSE_MS = 5_000;

export interface SettleQueueOptions<Row> {
  /** Settles one row (bounded by the inbox's settlement slots); throws on a refused write. */
  settle(row: Row): Promise<unknown>;
  /** The inbox's rows recorded but never claimed, oldest first, at most `limit`. */
  refill(limit: number): Promise<Row[]>;
  receivedAt(row: Row): Date;
  /** Settlements started at once while notifications pause. */
  concurrency: number;
  clock: PlacetoPayClock;
  logger: Logger;
}

/**
 * The recorded notifications this process settles in the background, in arrival order, yielding
 * to the answers: settling waits for a pause in arrivals (at most MAX_DEFER_MS), and then goes
 * one at a time while they keep coming. At most QUEUE_LIMIT rows wait in memory; the rest wait in
 * the inbox and are read back once the queue drains.
 */
export class SettleQueue<Row> {
  private readonly queue: Array<{ row: Row; at: number }> = [];
  private readonly loop = new WorkerLoop({
    pass: () => this.pump(),
    onError: (error) =>
      this.options.logger.error(`notification settlement failed: ${logText(reason(error))}`),
  });
  private lastArrivalAt = 0;
  /** Set when a row was recorded without joining the queue: it waits in the inbox only. */
  private spilled = false;
  private refilling = false;
  /** Settlements that threw (a write the database refused) since the last refill. */
  private settleFailures = 0;
  /** How long the refill waits after refused claims (real time; a test may hold it open). */
  refillPauseMs = REFILL_PAUSE_MS;

  constructor(private readonly options: SettleQueueOptions<Row>) {}

  /** Recorded notifications waiting in this process's memory to be settled. */
  get size(): number {
    return this.queue.length;
  }

  /** A notification is arriving: settling waits for a pause in them. */
  arrived(): void {
    this.lastArrivalAt = performance.now();
  }

  /** Queues a recorded row (or leaves it to a refill when the queue is full). */
  add(row: Row): void {
    if (this.spilled || this.refilling || this.queue.length >= QUEUE_LIMIT) this.spilled = true;
    else this.queue.push({ row, at: performance.now() });
    this.loop.kick();
  }

  /** Resolves when no settlement of the queue is running. */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  /** Stops settling (rows left stay pending in the inbox), waiting at most `graceMs`. */
  stop(graceMs: number): Promise<void> {
    return this.loop.stop(graceMs);
  }

  private async pump(): Promise<void> {
    while (!this.loop.stopped) {
      if (this.queue.length === 0 && !(this.spilled && (await this.refill()))) return;
      const now = performance.now();
      const quietFor = now - this.lastArrivalAt;
      if (quietFor < QUIET_MS && now - this.queue[0].at < MAX_DEFER_MS) {
        await this.loop.pause(QUIET_MS - quietFor);
        continue;
      }
      // While notifications keep coming (the deadline forced this batch), one at a time.
      const batch = this.queue.splice(0, quietFor < QUIET_MS ? 1 : this.options.concurrency);
      await Promise.all(
        batch.map(({ row }) =>
          this.options.settle(row).catch((error: unknown) => {
            this.settleFailures += 1;
            this.options.logger.error(`notification settlement failed: ${logText(reason(error))}`);
          }),
        ),
      );
    }
  }

  /**
   * Takes back into the queue, oldest first, the inbox's rows that no process has claimed yet:
   * those recorded here while the queue was full, and any other replica's not yet settled (the
   * claim keeps each to one process). False when there was nothing to take, or not now.
   */
  private async refill(): Promise<boolean> {
    if (this.settleFailures > 0) {
      // The database refused the last claims: taking the same rows back at once would spin.
      this.settleFailures = 0;
      this.refillAfterPause();
      return false;
    }
    // Paused: the pass scheduled for after the pause refills (or the next arrival's does).
    if (this.loop.scheduled) return false;
    this.spilled = false;
    this.refilling = true;
    let rows: Row[];
    try {
      rows = await this.options.refill(REFILL_BATCH);
    } catch (error) {
      this.options.logger.warn(
        `could not read back queued notifications: ${logText(reason(error))}`,
      );
      this.refillAfterPause();
      return false;
    } finally {
      this.refilling = false;
    }
    if (rows.length === REFILL_BATCH) this.spilled = true;
    const now = performance.now();
    const clockNow = this.options.clock.now().getTime();
    for (const row of rows) {
      const age = Math.max(0, clockNow - this.options.receivedAt(row).getTime());
      this.queue.push({ row, at: now - age });
    }
    return rows.length > 0;
  }

  private refillAfterPause(): void {
    this.spilled = true;
    this.loop.later(this.refillPauseMs);
  }
}
