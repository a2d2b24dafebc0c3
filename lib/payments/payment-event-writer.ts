import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import { activeTraceparent } from '../common/telemetry';
import { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PAYMENT_OUTBOX, type PaymentOutbox } from './lifecycle-ports';
import type { EventIntent } from './payment-transitions';
import type { PaymentSource } from './placetopay-event-type';

/** The public, non-sensitive view of a payment that events carry. */
export function paymentSnapshot(payment: PlacetoPayPayment): Record<string, unknown> {
  return {
    id: payment.id,
    reference: payment.reference,
    requestId: payment.requestId,
    kind: payment.kind,
    parentPaymentId: payment.parentPaymentId ?? null,
    status: payment.status,
    statusReason: payment.statusReason,
    statusMessage: payment.statusMessage,
    statusDate: payment.statusDate?.toISOString() ?? null,
    currency: payment.currency,
    amountMinor: payment.amountMinor,
    paidMinor: payment.paidMinor,
    refunded: payment.refunded,
    refundedMinor: payment.refundedMinor,
    needsReview: payment.needsReview,
    reviewReason: payment.reviewReason,
    internalReference: payment.internalReference,
    authorization: payment.authorization,
    paymentMethod: payment.paymentMethod,
    franchise: payment.franchise,
    lastDigits: payment.lastDigits,
    metadata: payment.metadata,
    createdAt: payment.createdAt.toISOString(),
  };
}

/** The highest event sequence of the payment whose id `paymentId` gives (a column or parameter). */
export function lastSequenceOf(
  query: SelectQueryBuilder<ObjectLiteral>,
  escape: (name: string) => string,
  paymentId: string,
): SelectQueryBuilder<ObjectLiteral> {
  return query
    .select(`MAX(e.${escape('sequence')})`, 'last')
    .from(PlacetoPayPaymentEvent, 'e')
    .where(`e.${escape('paymentId')} = ${paymentId}`);
}

/**
 * Writes a change's history rows and hands them to the outbox (their delivery rows), inside the
 * transaction whose compare-and-set won; after the commit, `announce` has them delivered soon.
 */
@Injectable()
export class PaymentEventWriter {
  /**
   * A payment's last event sequence, read with the row (`remember`). Events are only written by a
   * change that lands on the version read, and each such change moves the version on, so the
   * number holds for as long as the row does: the change needs no MAX query of its own.
   */
  private readonly lastSequences = new WeakMap<PlacetoPayPayment, number>();

  constructor(
    @Inject(PAYMENT_OUTBOX) private readonly outbox: PaymentOutbox,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {}

  /** The last event sequence of `payment`, read with it. */
  remember(payment: PlacetoPayPayment, lastSequence: number): void {
    this.lastSequences.set(payment, lastSequence);
  }

  /** One row per event, numbered on from `before`'s last sequence, each carrying `after`. */
  async write(
    manager: EntityManager,
    before: PlacetoPayPayment,
    after: PlacetoPayPayment,
    events: EventIntent[],
    source: PaymentSource,
  ): Promise<void> {
    if (events.length === 0) return;
    let sequence = this.lastSequences.get(before) ?? (await this.lastSequence(manager, after.id));
    const now = this.clock.now();
    const snapshot = paymentSnapshot(after);
    // The trace this change happens in: each delivery's span links to it.
    const traceparent = activeTraceparent();
    const rows = events.map(({ type, details }) =>
      manager.create(PlacetoPayPaymentEvent, {
        id: randomUUID(),
        site: after.site,
        paymentId: after.id,
        sequence: ++sequence,
        type,
        fromStatus: before.status,
        toStatus: after.status,
        source,
        payload: {
          payment: snapshot,
          previousStatus: before.status,
          ...(details ? { details } : {}),
        },
        createdAt: now,
        traceparent,
        // Handed to its listeners' delivery rows right here, in the same transaction.
        publishedAt: now,
      }),
    );
    // Every column is given: nothing to read back (SQLite would re-select the defaulted `site`).
    await manager
      .createQueryBuilder()
      .insert()
      .into(PlacetoPayPaymentEvent)
      .values(rows as QueryDeepPartialEntity<PlacetoPayPaymentEvent>[])
      .updateEntity(false)
      .execute();
    await this.outbox.fanOut(manager, rows);
  }

  /** After the commit, and without waiting: a listener never delays or undoes a change. */
  announce(): void {
    this.outbox.kick();
  }

  /** For a row read without it (by the probe's claim, say). */
  private async lastSequence(manager: EntityManager, paymentId: string): Promise<number> {
    const escape = (name: string) => manager.connection.driver.escape(name);
    const last = await lastSequenceOf(manager.createQueryBuilder(), escape, ':id')
      .setParameter('id', paymentId)
      .getRawOne<{ last: number | string | null }>();
    return Number(last?.last ?? 0);
  }
}
