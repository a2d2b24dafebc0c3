import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PaymentStatus } from '../payments/payment-status';
import { PlacetoPayPaymentRepository } from '../payments/payment.repository';
import { TransactionRunner } from '../payments/transaction-runner';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../placetopay.constants';
import type { ReceiveResult } from './notification-inbox';
import { PlacetoPayRecurringNotification } from './placetopay-recurring-notification.entity';
import type { CheckedRecurringNotification } from './recurring-notification.guard';
import { prepareRowInsert } from './row-insert';

/**
 * Records recurring-charge notifications (deduplicated on internalReference + status + date) and,
 * for a verified one whose original payment is known, fires `payment.recurring_charge` through
 * the lifecycle. No payment is ever changed by one: the signature formula is a guess and covers
 * no amount. An unverified one is recorded with a warning and fires nothing.
 */
@Injectable()
export class RecurringNotificationInbox {
  private readonly logger = new Logger('PlacetoPayWebhook');
  private readonly insert: (row: PlacetoPayRecurringNotification) => Promise<void>;

  constructor(
    @InjectRepository(PlacetoPayRecurringNotification)
    private readonly notifications: Repository<PlacetoPayRecurringNotification>,
    private readonly payments: PlacetoPayPaymentRepository,
    private readonly lifecycle: PaymentLifecycle,
    private readonly transactions: TransactionRunner,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {
    this.insert = prepareRowInsert(notifications);
  }

  async receive(notification: CheckedRecurringNotification): Promise<ReceiveResult> {
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
      receivedAt: this.clock.now(),
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
      await this.fire(origin, row);
    }
    return { received: true, duplicate: false };
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

  private async fire(paymentId: string, row: PlacetoPayRecurringNotification): Promise<void> {
    try {
      await this.lifecycle.recordRecurringCharge(paymentId, {
        internalReference: row.internalReference,
        status: row.status,
        reason: row.reason,
        tries: row.tries,
        enabled: row.enabled,
        recurringNotificationId: row.id,
      });
    } catch (error) {
      // The notification is recorded (verified, with its paymentId); PlacetoPay would not send it
      // again after an error answer anyway.
      this.logger.error(
        `recurring charge ${row.internalReference} of payment ${paymentId} recorded, but its event was not written: ${reason(error)}`,
      );
    }
  }
}
