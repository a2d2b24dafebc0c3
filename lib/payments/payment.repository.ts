import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PaymentStatus } from './payment-status';

/** Reads of stored payments. Every write goes through PaymentLifecycle. */
@Injectable()
export class PlacetoPayPaymentRepository {
  constructor(
    @InjectRepository(PlacetoPayPayment)
    private readonly paymentRows: Repository<PlacetoPayPayment>,
    @InjectRepository(PlacetoPayPaymentEvent)
    private readonly eventRows: Repository<PlacetoPayPaymentEvent>,
  ) {}

  findById(id: string): Promise<PlacetoPayPayment | null> {
    return this.paymentRows.findOneBy({ id });
  }

  findByRequestId(requestId: number): Promise<PlacetoPayPayment | null> {
    return this.paymentRows.findOneBy({ requestId });
  }

  /** Every payment of a reference, newest first. */
  listByReference(reference: string): Promise<PlacetoPayPayment[]> {
    return this.paymentRows.find({
      where: { reference },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** The payment that blocks a new one for the reference, if any. */
  findBlocking(reference: string): Promise<PlacetoPayPayment | null> {
    return this.paymentRows.findOneBy({ openReference: reference });
  }

  /** Payments a person has to look at (flagged `needsReview`, or `UNKNOWN`), oldest first. */
  listNeedingReview(limit = 100): Promise<PlacetoPayPayment[]> {
    return this.paymentRows.find({
      where: [{ needsReview: true }, { status: PaymentStatus.UNKNOWN }],
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  /** A payment's history, oldest first. */
  history(paymentId: string): Promise<PlacetoPayPaymentEvent[]> {
    return this.eventRows.find({ where: { paymentId }, order: { sequence: 'ASC' } });
  }
}

/** Whether `requestId` could be one PlacetoPay gave; any other finds nothing, without a query. */
export function isRequestId(requestId: number): boolean {
  return Number.isSafeInteger(requestId) && requestId > 0;
}
