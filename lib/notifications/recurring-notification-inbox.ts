import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { LessThanOrEqual, type EntityManager, type Repository } from 'typeorm';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PaymentStatus } from '../payments/payment-status';
import { PlacetoPayPaymentRepository } from '../payments/payment.repository';
import { TransactionRunner } from '../persistence/transaction-runner';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import { HeldNotifications } from './held-notifications';
import { HELD_LIMIT, type ReceiveResult } from './notification-inbox';
import { PlacetoPayRecurringNotification } from '../persistence/placetopay-recurring-notification.entity';
import type { CheckedRecurringNotification } from './recurring-notification.guard';
import { prepareRowInsert } from './row-insert';
import { waitAtMost } from '../common/time-limits';

/**
 * How long a process owns a charge's pending event: the receiving one before any replica's poll
 * may take it, and a poll that claimed it.
 */
const CLAIM_MS = 60_000;
/** Shutdown waits this long, at most, for held notifications, then for a retry pass under way. */
const SHUTDOWN_GRACE_MS = 10_000;
/** A failed event write is tried again after the notification's age, within these bounds. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 10 * 60_000;
const BATCH = 50;

interface HeldRecurringNotification {
  notification: CheckedRecurringNotification;
  receivedAt: Date;
}

/**
 * Records recurring-charge notifications (deduplicated on internalReference + status + date) and,
 * for a verified one whose original payment is known, fires `payment.recurring_charge` through
 * the lifecycle. No payment is ever changed by one: the signature formula is a guess and covers
 * no amount. An unverified one is recorded with a warning and fires nothing. An event whose write
 * failed stays `pending` on its row and is written by a later poll, once.
 */
@Injectable()
export class RecurringNotificationInbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PlacetoPayWebhook');
  private readonly insert: (row: PlacetoPayRecurringNotification) => Promise<void>;
  private timer?: NodeJS.Timeout;
  private retrying?: Promise<number>;
  private stopped = false;
  private readonly held = new HeldNotifications<HeldRecurringNotification>(
    ({ notification, receivedAt }) => this.record(notification, receivedAt).then(() => undefined),
    HELD_LIMIT,
    () => this.logger.log('held recurring notifications written to the database'),
  );

  constructor(
    @InjectRepository(PlacetoPayRecurringNotification)
    private readonly notifications: Repository<PlacetoPayRecurringNotification>,
    private readonly payments: PlacetoPayPaymentRepository,
    private readonly lifecycle: PaymentLifecycle,
    private readonly transactions: TransactionRunner,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {
    this.insert = prepareRowInsert(notifications);
  }

  onApplicationBootstrap(): void {
    if (this.options.eventPollMs > 0) {
      this.timer = setInterval(() => {
        this.retryDue().catch((error: unknown) =>
          this.logger.error(
            `could not look for unwritten recurring charge events: ${reason(error)}`,
          ),
        );
      }, this.options.eventPollMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const unwritten = await this.held.stop(SHUTDOWN_GRACE_MS);
    if (unwritten.length > 0) {
      const ids = unwritten.map(
        ({ notification: n }) => `${n.internalReference} (${n.status}, reference ${n.reference})`,
      );
      this.logger.error(
        `${ids.length} recurring notification(s) could not be stored before shutdown: ${ids.join(', ')}`,
      );
    }
    // Whatever the pass leaves pending stays so, for the next process's poll.
    await waitAtMost(this.retrying, SHUTDOWN_GRACE_MS);
  }

  /** Recurring notifications received but not yet written (the database could not take them). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Writes the held notifications now, instead of at their next retry. */
  writeHeld(): Promise<void> {
    return this.held.flush();
  }

  async receive(notification: CheckedRecurringNotification): Promise<ReceiveResult> {
    const receivedAt = this.clock.now();
    try {
      return await this.record(notification, receivedAt);
    } catch (error) {
      // The database could not store it (down, restarting, or refusing the row): PlacetoPay sends
      // it once, so an error answer would lose it. It is held here, and recorded (its event fired)
      // when the database takes it.
      const key = `${notification.internalReference}|${notification.status}|${notification.date}`;
      const copy = this.held.get(key);
      // Only a verified copy replaces one held (a forgery sent ahead cannot silence it).
      if (copy && (copy.notification.verified || !notification.verified)) {
        return { received: true, duplicate: true };
      }
      const entry = { notification, receivedAt: copy?.receivedAt ?? receivedAt };
      if (!this.held.hold(key, entry)) {
        // Full: a verified one takes the place of the oldest unverified one (unsigned posts
        // during an outage must not crowd out a genuine charge).
        const dropped = notification.verified
          ? this.held.evict(({ notification: held }) => !held.verified)
          : undefined;
        if (!dropped || !this.held.hold(key, entry)) throw error;
        this.logger.warn(
          `held recurring notification for internalReference ${dropped.notification.internalReference} (unverified) dropped to make room for a verified one`,
        );
      }
      this.logger.warn(
        `recurring notification for internalReference ${notification.internalReference} (${notification.status}, reference ${notification.reference}) could not be stored (${reason(error)}): held in memory until the database answers`,
      );
      return { received: true, duplicate: false };
    }
  }

  private async record(
    notification: CheckedRecurringNotification,
    receivedAt: Date,
  ): Promise<ReceiveResult> {
    const key = {
      internalReference: notification.internalReference,
      status: notification.status,
      statusDate: notification.date,
    };
    const origin = await this.originOf(notification.reference);
    // The guessed formula is the session notification's with internalReference for requestId, so
    // a genuine session notification reposted here would verify: one whose number is a session
    // we know is taken for what it is, a replay, and not trusted.
    const replay =
      notification.verified && (await this.isKnownSession(notification.internalReference));
    const verified = notification.verified && !replay;
    if (!verified && !origin) {
      // Unsigned noise about a payment we do not have: warned, not stored (the table would
      // otherwise grow with whatever anyone posts).
      this.logger.warn(
        `recurring notification for unknown reference ${notification.reference} (internalReference ${notification.internalReference}) not verified (signature ${replay ? 'replayed from a session' : notification.signatureProblem}): ignored`,
      );
      return { received: true, duplicate: false };
    }
    const pending = verified && origin !== null;
    const row = this.notifications.create({
      id: randomUUID(),
      ...key,
      reference: notification.reference,
      reason: notification.reason,
      message: notification.message,
      tries: notification.tries,
      enabled: notification.enabled,
      signatureAlgorithm: notification.algorithm,
      verified,
      paymentId: origin,
      receivedAt,
      eventState: pending ? 'pending' : 'none',
      nextEventAt: pending ? new Date(this.clock.now().getTime() + CLAIM_MS) : null,
    });
    try {
      await this.transactions.exclusive(() => this.insert(row));
    } catch (error) {
      // Lost a race against the same notification: the unique key says it is a duplicate.
      const existing = await this.notifications.findOneBy(key);
      if (!existing) throw error;
      if (!(verified && (await this.supersede(existing, row)))) {
        return { received: true, duplicate: true };
      }
      row.id = existing.id;
    }
    if (!verified) {
      this.logger.warn(
        `recurring notification for internalReference ${notification.internalReference} (reference ${notification.reference}) recorded unverified (signature ${replay ? 'replayed from a session' : notification.signatureProblem}): nothing applied`,
      );
    } else if (!origin) {
      this.logger.warn(
        `recurring notification for unknown reference ${notification.reference} (internalReference ${notification.internalReference}) recorded`,
      );
    } else {
      await this.fire(row);
    }
    return { received: true, duplicate: false };
  }

  /**
   * Writes the events of recorded charges whose first write failed and whose retry is due; resolves
   * with how many it wrote. What the poll (`eventPollMs`) calls.
   */
  retryDue(): Promise<number> {
    // Single flight: a slow pass is joined, never stacked.
    this.retrying ??= this.retryPass().finally(() => (this.retrying = undefined));
    return this.retrying;
  }

  private async retryPass(): Promise<number> {
    if (this.stopped) return 0;
    const due = await this.transactions.exclusive(() =>
      this.notifications.find({
        // A pending row always has its paymentId: only a known payment's charge gets an event.
        where: { eventState: 'pending', nextEventAt: LessThanOrEqual(this.clock.now()) },
        order: { nextEventAt: 'ASC' },
        take: BATCH,
      }),
    );
    let written = 0;
    for (const row of due) {
      if (this.stopped) break;
      const claimed = await this.reschedule(row, CLAIM_MS, row.nextEventAt!).catch(
        (error: unknown) => {
          // Reads work, writes do not: the next poll tries again, one claim at a time.
          this.logger.warn(`could not claim a pending recurring charge event: ${reason(error)}`);
          return undefined;
        },
      );
      if (claimed === undefined) break;
      if (claimed && (await this.fire(row))) written += 1;
    }
    return written;
  }

  /**
   * Moves a pending row's next try `delayMs` from now; false when it is no longer pending. With
   * `seen`, only if its next try is still that one: a claim, which another process may win.
   */
  private async reschedule(
    row: PlacetoPayRecurringNotification,
    delayMs: number,
    seen?: Date,
  ): Promise<boolean> {
    const result = await this.transactions.exclusive(() =>
      this.notifications.update(
        { id: row.id, eventState: 'pending', ...(seen ? { nextEventAt: seen } : {}) },
        { nextEventAt: new Date(this.clock.now().getTime() + delayMs) },
      ),
    );
    return result.affected === 1;
  }

  private async isKnownSession(internalReference: number): Promise<boolean> {
    return this.transactions.exclusive(() =>
      this.payments.payments.existsBy({ requestId: internalReference }),
    );
  }

  /** The original payment: the newest APPROVED one of the reference (recurrence needs approval). */
  private async originOf(reference: string): Promise<string | null> {
    const payment = await this.transactions.exclusive(() =>
      this.payments.payments.findOne({
        select: { id: true },
        where: { reference, status: PaymentStatus.APPROVED, kind: 'payment' },
        order: { createdAt: 'DESC', id: 'DESC' },
      }),
    );
    return payment?.id ?? null;
  }

  /**
   * A verified copy of a notification recorded unverified (someone sent one with the same key
   * first): it replaces the unverified row's content, once (a conditional UPDATE), so a forgery
   * sent ahead cannot silence the genuine notification.
   */
  private async supersede(
    existing: PlacetoPayRecurringNotification,
    row: PlacetoPayRecurringNotification,
  ): Promise<boolean> {
    if (existing.verified) return false;
    const { id: _id, receivedAt: _receivedAt, ...content } = row;
    const result = await this.transactions.exclusive(() =>
      this.notifications.update({ id: existing.id, verified: false }, content),
    );
    return result.affected === 1;
  }

  /** Writes the charge's event, once across replicas; true when this call wrote it. */
  private async fire(row: PlacetoPayRecurringNotification): Promise<boolean> {
    const paymentId = row.paymentId!;
    try {
      const record = await this.lifecycle.recordRecurringCharge(
        paymentId,
        {
          internalReference: row.internalReference,
          status: row.status,
          reason: row.reason,
          tries: row.tries,
          enabled: row.enabled,
          recurringNotificationId: row.id,
        },
        (manager) => this.markEvent(row.id, 'written', manager),
      );
      if (record === 'no_approved_payment') {
        await this.transactions.exclusive(() => this.markEvent(row.id, 'none'));
        this.logger.warn(
          `recurring charge ${row.internalReference} recorded, but payment ${paymentId} is no longer approved (or no longer exists): no event`,
        );
      }
      return record === 'written';
    } catch (error) {
      // The notification is recorded (verified, with its paymentId) and PlacetoPay would not send
      // it again after an error answer: its event stays pending and a later poll writes it.
      const delay = Math.min(
        RETRY_MAX_MS,
        Math.max(RETRY_MIN_MS, this.clock.now().getTime() - row.receivedAt.getTime()),
      );
      const retried = await this.reschedule(row, delay).then(
        () => `tried again in ${Math.round(delay / 1000)} s`,
        () => 'tried again by a later poll',
      );
      this.logger.error(
        `recurring charge ${row.internalReference} of payment ${paymentId} recorded, but its event was not written (${reason(error)}): ${retried}`,
      );
      return false;
    }
  }

  /** Moves a pending event's row to `state`; false when it was not pending (done elsewhere). */
  private async markEvent(
    id: string,
    state: 'written' | 'none',
    manager: EntityManager = this.notifications.manager,
  ): Promise<boolean> {
    const result = await manager.update(
      PlacetoPayRecurringNotification,
      { id, eventState: 'pending' },
      { eventState: state, nextEventAt: null },
    );
    return result.affected === 1;
  }
}
