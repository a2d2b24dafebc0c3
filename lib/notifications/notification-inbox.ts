import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Semaphore } from 'async-mutex';
import { randomUUID } from 'node:crypto';
import { QueryFailedError, type EntityManager, type Repository } from 'typeorm';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { backoffDelay, equalJitter } from '../gateway/retry-policy';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { isFinalStatus, type PaymentStatus } from '../payments/payment-status';
import { PlacetoPayPaymentRepository } from '../payments/payment.repository';
import { TransactionRunner } from '../persistence/transaction-runner';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { VerifiedNotification } from './notification-signature.guard';
import { HeldNotifications } from './held-notifications';
import { PlacetoPayNotification } from '../persistence/placetopay-notification.entity';
import { InsertBatcher } from './insert-batcher';
import { prepareRowsInsert } from './row-insert';
import { waitAtMost } from '../common/time-limits';

const RETRY = { baseDelayMs: 5_000, maxDelayMs: 10 * 60_000 };
/** How long a replica owns a notification it is settling. */
const CLAIM_MS = 60_000;
const BATCH = 50;
const FINAL_GATEWAY_STATUSES = new Set(['APPROVED', 'REJECTED', 'PARTIAL_EXPIRED']);
/**
 * Settlements running at once per process: the answer path (one INSERT) must always find a free
 * database connection, whatever the backlog.
 */
const SETTLE_CONCURRENCY = 2;
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
/**
 * Answer-path INSERTs under way at once. Notifications arriving meanwhile wait for one to end and
 * then go together, up to INSERT_BATCH rows in one statement: under load, far fewer statements
 * (each a round trip, a parse and a commit), and at most this many pooled connections taken by
 * answers, whatever the stream.
 */
const INSERT_CONCURRENCY = 2;
const INSERT_BATCH = 50;
/**
 * An answer's INSERT taking longer than this is given up on: its notifications are held in memory
 * and written again (a late commit of the first try counts as written), and the slot goes to the
 * next rows, so one stuck connection cannot keep PlacetoPay waiting past its own timeout.
 */
const INSERT_TIMEOUT_MS = 5_000;
/** Notifications held in memory while the database is unreachable, at most. */
export const HELD_LIMIT = 10_000;
/** Shutdown waits this long, at most, for held notifications to be written, then for settling. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ReceiveResult {
  received: true;
  duplicate: boolean;
}

/**
 * The webhook's inbox. A verified notification is recorded (deduplicated on requestId + status +
 * date) before the answer, then settled in the background: its session is queried and applied
 * through the lifecycle. A failure leaves the row pending and it is retried with backoff until it
 * is settled: a notification is never lost.
 */
@Injectable()
export class NotificationInbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PlacetoPayWebhook');
  private timer?: NodeJS.Timeout;
  private readonly running = new Set<Promise<unknown>>();
  private readonly settling = new Semaphore(SETTLE_CONCURRENCY);
  private readonly queue: Array<{ row: PlacetoPayNotification; at: number }> = [];
  private pumping?: Promise<void>;
  private lastReceiveAt = 0;
  /** Set when a row was recorded without joining the queue: it waits in the inbox only. */
  private spilled = false;
  private refilling = false;
  private refillLater?: NodeJS.Timeout;
  /** Settlements that threw (a write the database refused) since the last refill. */
  private settleFailures = 0;
  private retrying?: Promise<number>;
  private stopped = false;
  private readonly held = new HeldNotifications<PlacetoPayNotification>(
    (row) => this.storeHeld(row),
    HELD_LIMIT,
    () => this.logger.log('held notifications written to the database'),
  );
  private readonly insert: (row: PlacetoPayNotification) => Promise<void>;
  private readonly batcher: InsertBatcher<PlacetoPayNotification>;

  constructor(
    @InjectRepository(PlacetoPayNotification)
    private readonly notifications: Repository<PlacetoPayNotification>,
    private readonly payments: PlacetoPayPaymentRepository,
    private readonly lifecycle: PaymentLifecycle,
    private readonly transactions: TransactionRunner,
    private readonly client: PlacetoPayClient,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {
    const insertRows = prepareRowsInsert(notifications);
    this.insert = (row) => insertRows([row]);
    this.batcher = new InsertBatcher({
      write: (rows) => this.transactions.exclusive(() => insertRows(rows)),
      concurrency: INSERT_CONCURRENCY,
      maxBatch: INSERT_BATCH,
      // The statement reached the database and failed (a duplicate key among the rows, or a
      // connection lost mid-statement): each row alone tells which. A connection that could not
      // be had, or a statement past its time, is every row's failure: they are held.
      retryAlone: (error) => error instanceof QueryFailedError,
      timeoutMs: INSERT_TIMEOUT_MS,
    });
  }

  onApplicationBootstrap(): void {
    if (this.options.eventPollMs > 0) {
      this.timer = setInterval(() => this.track(this.retryDue()), this.options.eventPollMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.refillLater) clearTimeout(this.refillLater);
    // Answers still being written finish first, so a row failing now is held, not lost (bounded:
    // the HTTP server still takes requests until the shutdown hooks end).
    await waitAtMost(this.batcher.idle(), SHUTDOWN_GRACE_MS);
    const unwritten = await this.held.stop(SHUTDOWN_GRACE_MS);
    if (unwritten.length > 0) {
      const ids = unwritten.map((row) => `${row.requestId} (${row.status})`);
      this.logger.error(
        `${ids.length} verified notification(s) could not be stored before shutdown; the probe settles their payments: ${ids.join(', ')}`,
      );
    }
    // Unsettled rows stay pending in the inbox; do not hold the shutdown for a slow gateway.
    await waitAtMost(this.idle(), SHUTDOWN_GRACE_MS);
  }

  /** Records a verified notification; settles it in the background. */
  async receive(notification: VerifiedNotification): Promise<ReceiveResult> {
    this.lastReceiveAt = performance.now();
    const key = {
      requestId: notification.requestId,
      status: notification.status,
      statusDate: notification.date,
    };
    const now = this.clock.now();
    const row = this.notifications.create({
      id: randomUUID(),
      ...key,
      reference: notification.reference,
      signatureAlgorithm: notification.algorithm,
      state: 'pending',
      attempts: 0,
      // This process's queue settles it (yielding to the answers); the poll, the probe or another
      // replica take it only if it is not settled within CLAIM_MS (this process stopped).
      nextAttemptAt: new Date(now.getTime() + CLAIM_MS),
      lastError: null,
      receivedAt: now,
      settledAt: null,
    });
    try {
      await this.batcher.add(row);
    } catch (error) {
      // Lost a race against the same notification: the unique key says it is a duplicate.
      if (await this.isStored(row)) return { received: true, duplicate: true };
      // The database is down (or refused the row): PlacetoPay sends a notification once and
      // never again, so a 5xx would lose it for good. It is held here and written when the
      // database answers; the probe settles its payment either way.
      const key = `${row.requestId}|${row.status}|${row.statusDate}`;
      if (this.held.get(key)) return { received: true, duplicate: true };
      if (!this.held.hold(key, row)) throw error;
      this.logger.warn(
        `notification for requestId ${row.requestId} (${row.status}) could not be stored (${reason(error)}): held in memory until the database answers`,
      );
      return { received: true, duplicate: false };
    }
    this.enqueue(row);
    return { received: true, duplicate: false };
  }

  private enqueue(row: PlacetoPayNotification): void {
    if (this.spilled || this.refilling || this.queue.length >= QUEUE_LIMIT) this.spilled = true;
    else this.queue.push({ row, at: performance.now() });
    this.startPump();
  }

  /** Recorded notifications waiting in this process's memory to be settled. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /** Notifications verified but not yet written (the database was unreachable). */
  get heldCount(): number {
    return this.held.size;
  }

  private async isStored(row: PlacetoPayNotification): Promise<boolean> {
    try {
      return await this.notifications.existsBy({
        requestId: row.requestId,
        status: row.status,
        statusDate: row.statusDate,
      });
    } catch {
      return false;
    }
  }

  /** Writes a held row; a copy stored meanwhile counts as written. */
  private async storeHeld(row: PlacetoPayNotification): Promise<void> {
    try {
      await this.transactions.exclusive(() => this.insert(row));
    } catch (error) {
      if (await this.isStored(row)) return;
      throw error;
    }
    this.enqueue(row);
  }

  /** Settles every pending notification that is due (what the poll and the probe call). */
  retryDue(): Promise<number> {
    // Single flight: a slow pass (the gateway down) is joined, never stacked.
    this.retrying ??= this.retryPass().finally(() => (this.retrying = undefined));
    return this.retrying;
  }

  private async retryPass(): Promise<number> {
    if (this.stopped) return 0;
    const escape = (name: string) => this.notifications.manager.connection.driver.escape(name);
    const due = await this.notifications
      .createQueryBuilder('n')
      .where(`n.${escape('state')} = 'pending'`)
      .andWhere(`n.${escape('nextAttemptAt')} <= :now`, { now: this.clock.now().getTime() })
      .orderBy(`n.${escape('receivedAt')}`, 'ASC')
      .limit(BATCH)
      .getMany();
    const results = await Promise.all(
      due.map((row) => this.settling.runExclusive(() => this.settle(row))),
    );
    return results.filter(Boolean).length;
  }

  private startPump(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      // A row queued while the last batch was finishing still gets its turn.
      if (this.queue.length > 0 && !this.stopped) this.startPump();
    });
  }

  private async pump(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === 0 && !(this.spilled && (await this.refill()))) return;
      const now = performance.now();
      const quietFor = now - this.lastReceiveAt;
      if (quietFor < QUIET_MS && now - this.queue[0].at < MAX_DEFER_MS) {
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS - quietFor).unref());
        continue;
      }
      // While notifications keep coming (the deadline forced this batch), one at a time.
      const batch = this.queue.splice(0, quietFor < QUIET_MS ? 1 : SETTLE_CONCURRENCY);
      await Promise.all(
        batch.map(({ row }) =>
          this.settling
            .runExclusive(() => this.settle(row))
            .catch((error: unknown) => {
              this.settleFailures += 1;
              this.logger.error(`notification settlement failed: ${reason(error)}`);
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
    this.spilled = false;
    this.refilling = true;
    let rows: PlacetoPayNotification[];
    try {
      rows = await this.transactions.exclusive(() =>
        this.notifications.find({
          where: { state: 'pending', attempts: 0 },
          // Fresh rows' nextAttemptAt is receivedAt + CLAIM_MS: the same order, on an index.
          order: { nextAttemptAt: 'ASC' },
          take: REFILL_BATCH,
        }),
      );
    } catch (error) {
      this.logger.warn(`could not read back queued notifications: ${reason(error)}`);
      this.refillAfterPause();
      return false;
    } finally {
      this.refilling = false;
    }
    if (rows.length === REFILL_BATCH) this.spilled = true;
    const now = performance.now();
    const clockNow = this.clock.now().getTime();
    for (const row of rows) {
      this.queue.push({ row, at: now - Math.max(0, clockNow - row.receivedAt.getTime()) });
    }
    return rows.length > 0;
  }

  private refillAfterPause(): void {
    this.spilled = true;
    this.refillLater ??= setTimeout(() => {
      this.refillLater = undefined;
      if (!this.stopped) this.startPump();
    }, RETRY.baseDelayMs);
    this.refillLater.unref();
  }

  /** Resolves when no settlement started by this process is running. */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private track(work: Promise<unknown>): void {
    this.running.add(work);
    void work
      .catch((error: unknown) =>
        this.logger.error(`notification settlement failed: ${reason(error)}`),
      )
      .finally(() => this.running.delete(work));
  }

  /** Claims the row (a conditional UPDATE), queries the session and applies it. */
  private async settle(row: PlacetoPayNotification): Promise<boolean> {
    if (this.stopped || !(await this.claim(row))) return false;
    try {
      const payment = await this.lifecycle.findForChange({ requestId: row.requestId });
      if (!payment) {
        this.logger.warn(
          `notification for unknown requestId ${row.requestId} (reference ${row.reference ?? '-'}) recorded`,
        );
        await this.finish(row, 'unknown_payment');
        return true;
      }
      if (!isFinalStatus(payment.status) && this.options.notificationQuery) {
        const session = await this.client.getSession(row.requestId);
        const { outcome, alongside } = await this.lifecycle.applyWith(
          { source: 'notification', session },
          {
            current: payment,
            // A change with events settles the row in its own transaction: one round trip less.
            alongside: (manager, written) => this.settledAlongside(manager, row, written.status),
          },
        );
        if (alongside) return true;
        if (outcome.kind === 'unknown_payment') {
          await this.finish(row, 'unknown_payment');
          return true;
        }
        // PlacetoPay signed a final status its own query does not show yet: ask again later.
        const after =
          outcome.kind === 'transitioned'
            ? outcome.to
            : outcome.kind === 'unchanged'
              ? outcome.status
              : (await this.payments.findByRequestId(row.requestId))?.status;
        if (
          FINAL_GATEWAY_STATUSES.has(row.status) &&
          after &&
          !isFinalStatus(after as PaymentStatus)
        ) {
          throw new Error(
            `the session is ${session.status.status}, the notification said ${row.status}`,
          );
        }
      }
      await this.finish(row, 'settled');
      return true;
    } catch (error) {
      const delay = backoffDelay(row.attempts, RETRY, equalJitter());
      await this.transactions.exclusive(() =>
        this.notifications.update(
          { id: row.id, state: 'pending' },
          {
            nextAttemptAt: new Date(this.clock.now().getTime() + delay),
            lastError: reason(error).slice(0, 500),
          },
        ),
      );
      this.logger.warn(
        `notification for requestId ${row.requestId} not settled yet (attempt ${row.attempts}); retrying in ${delay} ms: ${reason(error)}`,
      );
      return false;
    }
  }

  private async claim(row: PlacetoPayNotification): Promise<boolean> {
    const escape = (name: string) => this.notifications.manager.connection.driver.escape(name);
    const now = this.clock.now();
    const result = await this.transactions.exclusive(() =>
      this.notifications
        .createQueryBuilder()
        .update()
        .set({
          attempts: () => `${escape('attempts')} + 1`,
          nextAttemptAt: new Date(now.getTime() + CLAIM_MS),
        })
        .where(`${escape('id')} = :id`, { id: row.id })
        .andWhere(`${escape('state')} = 'pending'`)
        .andWhere(`${escape('attempts')} = :attempts`, { attempts: row.attempts })
        .execute(),
    );
    if (result.affected !== 1) return false;
    row.attempts += 1;
    return true;
  }

  /** Ends the row's settlement; with a manager, inside that transaction. */
  private async finish(
    row: PlacetoPayNotification,
    state: 'settled' | 'unknown_payment',
    manager?: EntityManager,
  ): Promise<void> {
    const write = (m: EntityManager) =>
      m.update(
        PlacetoPayNotification,
        { id: row.id },
        { state, settledAt: this.clock.now(), lastError: null },
      );
    await (manager
      ? write(manager)
      : this.transactions.exclusive(() => write(this.notifications.manager)));
  }

  /**
   * Inside the transaction that applies the queried session: marks the row settled, unless the
   * notification said final and the payment is not (then it is asked again later). False when
   * it did not write.
   */
  private async settledAlongside(
    manager: EntityManager,
    row: PlacetoPayNotification,
    status: PaymentStatus,
  ): Promise<boolean> {
    if (FINAL_GATEWAY_STATUSES.has(row.status) && !isFinalStatus(status)) return false;
    await this.finish(row, 'settled', manager);
    return true;
  }
}
