import type { Logger } from '@nestjs/common';
import { LessThanOrEqual, Not, IsNull, type EntityManager, type Repository } from 'typeorm';
import type { PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import type { PlacetoPayClient } from '../gateway/placetopay.client';
import type { PlacetoPayTransaction } from '../gateway/wire/responses.types';
import type { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PaymentStatus } from '../payments/payment-status';
import { isRecurringSession } from '../payments/session-facts';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import {
  PlacetoPayRecurringNotification,
  type RecurringChargeEventState,
} from '../persistence/placetopay-recurring-notification.entity';
import type { TransactionRunner } from '../persistence/transaction-runner';

/**
 * How long a process owns a pending charge: the receiving one before any replica's poll may take
 * it, and a poll that claimed it.
 */
export const CLAIM_MS = 60_000;
/** A failed settlement is tried again after the notification's age, within these bounds. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 10 * 60_000;
/** Approved payments of a reference whose sessions are looked at for a charge, newest first. */
const CANDIDATES = 10;

/** Where a charge was found: its original payment and its transaction in that session. */
interface Located {
  parent: PlacetoPayPayment;
  transaction: PlacetoPayTransaction;
}

/**
 * Settles a recorded, verified recurring charge: finds the original payment by PlacetoPay's own
 * identifiers (the approved recurring session of the reference whose query lists the charge's
 * internalReference, docs/protocol.md §7.2), and has the lifecycle write the charge as a payment
 * of its own, its events and this row's settlement in one transaction. A charge no session lists
 * is left for review, never applied; a failed query or write leaves the row pending, due again.
 */
export class RecurringChargeSettlement {
  constructor(
    /** The site whose rows it settles. */
    private readonly site: string,
    private readonly notifications: Repository<PlacetoPayRecurringNotification>,
    private readonly payments: Repository<PlacetoPayPayment>,
    private readonly lifecycle: PaymentLifecycle,
    private readonly client: PlacetoPayClient,
    private readonly transactions: TransactionRunner,
    private readonly clock: PlacetoPayClock,
    private readonly logger: Logger,
  ) {}

  /** Rows pending and due, oldest first. */
  due(now: Date, limit: number): Promise<PlacetoPayRecurringNotification[]> {
    return this.transactions.exclusive(() =>
      this.notifications.find({
        where: { site: this.site, eventState: 'pending', nextEventAt: LessThanOrEqual(now) },
        order: { nextEventAt: 'ASC' },
        take: limit,
      }),
    );
  }

  /**
   * A retry of a due row: claims it (another process may win) and settles it; true when this call
   * settled it, 'halt' when the database refused the claim (the next poll tries again).
   */
  async retry(row: PlacetoPayRecurringNotification): Promise<boolean | 'halt'> {
    let claimed: boolean;
    try {
      claimed = await this.reschedule(row, CLAIM_MS, row.nextEventAt!);
    } catch (error) {
      this.logger.warn(`could not claim a pending recurring charge: ${logText(reason(error))}`);
      return 'halt';
    }
    return claimed && (await this.settle(row));
  }

  /** Settles the charge, once across replicas; true when this call did. */
  async settle(row: PlacetoPayRecurringNotification): Promise<boolean> {
    const charge = `recurring charge ${row.internalReference} (reference ${logText(row.reference)})`;
    try {
      const located = await this.locate(row);
      if (!located) {
        // The notification is a signed hint; what it says is applied only as a session shows it.
        const marked = await this.transactions.exclusive(() =>
          this.mark(this.notifications.manager, row.id, 'review', null, null),
        );
        if (marked) {
          this.logger.warn(
            `${charge} recorded for review, not applied: no approved recurring session of the reference lists it`,
          );
        }
        return marked;
      }
      const record = await this.lifecycle.recordRecurringCharge(
        {
          parent: located.parent,
          transaction: located.transaction,
          details: {
            tries: row.tries,
            enabled: row.enabled,
            recurringNotificationId: row.id,
          },
        },
        (manager, paymentId) => this.mark(manager, row.id, 'written', paymentId, located.parent.id),
      );
      if (record === 'elsewhere') return false;
      if (record.outcome !== undefined) return true;
      // Nothing to change (a repeated or older status): settled without a change, once.
      return await this.transactions.exclusive(() =>
        this.mark(
          this.notifications.manager,
          row.id,
          'written',
          record.paymentId,
          located.parent.id,
        ),
      );
    } catch (error) {
      const delay = Math.min(
        RETRY_MAX_MS,
        Math.max(RETRY_MIN_MS, this.clock.now().getTime() - row.receivedAt.getTime()),
      );
      const retried = await this.reschedule(row, delay).then(
        () => `tried again in ${Math.round(delay / 1000)} s`,
        () => 'tried again by a later poll',
      );
      this.logger.error(`${charge} recorded, not settled (${logText(reason(error))}): ${retried}`);
      return false;
    }
  }

  /**
   * The approved recurring session of the reference that lists the charge, newest payment first.
   * A query that fails throws (the row is tried again); one that answers without the charge, or
   * is refused, rules that payment out.
   */
  private async locate(row: PlacetoPayRecurringNotification): Promise<Located | null> {
    const candidates = await this.transactions.exclusive(() =>
      this.payments.find({
        where: {
          site: this.site,
          reference: row.reference,
          kind: 'payment',
          status: PaymentStatus.APPROVED,
          requestId: Not(IsNull()),
        },
        order: { createdAt: 'DESC', id: 'DESC' },
        take: CANDIDATES,
      }),
    );
    for (const parent of candidates) {
      // A definite refusal (a session PlacetoPay no longer has) rules that payment out; anything
      // else (unavailable, a timeout) throws, and the whole search is tried again later.
      const session = await this.client.getSession(parent.requestId!).catch((error: unknown) => {
        if (error instanceof PlacetoPayRequestRejectedError) return null;
        throw error;
      });
      if (!session) continue;
      if (!isRecurringSession(session)) continue;
      const transaction = session.payment.find(
        (tx) => tx.internalReference === row.internalReference,
      );
      // The first payment's own transaction is not a charge of its recurrence.
      if (transaction && transaction.internalReference !== parent.internalReference) {
        return { parent, transaction };
      }
    }
    return null;
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

  /** Settles a pending row as `state`; false when it was not pending (settled elsewhere). */
  private async mark(
    manager: EntityManager,
    id: string,
    state: Exclude<RecurringChargeEventState, 'pending'>,
    chargePaymentId: string | null,
    parentPaymentId: string | null,
  ): Promise<boolean> {
    const result = await manager.update(
      PlacetoPayRecurringNotification,
      { id, eventState: 'pending' },
      {
        eventState: state,
        nextEventAt: null,
        chargePaymentId,
        ...(parentPaymentId ? { paymentId: parentPaymentId } : {}),
      },
    );
    return result.affected === 1;
  }
}
