import type { Logger } from '@nestjs/common';
import { LessThanOrEqual, type EntityManager, type Repository } from 'typeorm';
import type { PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import type { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PlacetoPayRecurringNotification } from '../persistence/placetopay-recurring-notification.entity';
import type { TransactionRunner } from '../persistence/transaction-runner';

/**
 * How long a process owns a charge's pending event: the receiving one before any replica's poll
 * may take it, and a poll that claimed it.
 */
export const CLAIM_MS = 60_000;
/** A failed event write is tried again after the notification's age, within these bounds. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 10 * 60_000;

/**
 * The `payment.recurring_charge` event of a recorded, verified charge of a known payment: written
 * once across replicas (the row's `eventState` moves from pending in the event's transaction); a
 * failed write leaves it pending, due again after the notification's age.
 */
export class RecurringChargeEvents {
  constructor(
    /** The site whose rows it writes events for. */
    private readonly site: string,
    private readonly notifications: Repository<PlacetoPayRecurringNotification>,
    private readonly lifecycle: PaymentLifecycle,
    private readonly transactions: TransactionRunner,
    private readonly clock: PlacetoPayClock,
    private readonly logger: Logger,
  ) {}

  /** Rows whose event is pending and due, oldest first. */
  due(now: Date, limit: number): Promise<PlacetoPayRecurringNotification[]> {
    return this.transactions.exclusive(() =>
      this.notifications.find({
        // A pending row always has its paymentId: only a known payment's charge gets an event.
        where: { site: this.site, eventState: 'pending', nextEventAt: LessThanOrEqual(now) },
        order: { nextEventAt: 'ASC' },
        take: limit,
      }),
    );
  }

  /**
   * A retry of a due row: claims it (another process may win) and writes its event; true when
   * this call wrote it, 'halt' when the database refused the claim (reads work, writes do not:
   * the next poll tries again).
   */
  async retry(row: PlacetoPayRecurringNotification): Promise<boolean | 'halt'> {
    let claimed: boolean;
    try {
      claimed = await this.reschedule(row, CLAIM_MS, row.nextEventAt!);
    } catch (error) {
      this.logger.warn(
        `could not claim a pending recurring charge event: ${logText(reason(error))}`,
      );
      return 'halt';
    }
    return claimed && (await this.fire(row));
  }

  /** Writes the charge's event, once across replicas; true when this call wrote it. */
  async fire(row: PlacetoPayRecurringNotification): Promise<boolean> {
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
        `recurring charge ${row.internalReference} of payment ${paymentId} recorded, but its event was not written (${logText(reason(error))}): ${retried}`,
      );
      return false;
    }
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
