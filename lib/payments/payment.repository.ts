import { Inject, Injectable } from '@nestjs/common';
import { InjectSiteRepository } from '../persistence/site-data-source';

import type { Repository } from 'typeorm';
import { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PaymentStatus } from './payment-status';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';

/**
 * Reads of stored payments, of this registration's site only. Every write goes through
 * PaymentLifecycle.
 */
@Injectable()
export class PlacetoPayPaymentRepository {
  /** The site whose rows this repository reads. */
  readonly site: string;

  constructor(
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly paymentRows: Repository<PlacetoPayPayment>,
    @InjectSiteRepository(PlacetoPayPaymentEvent)
    private readonly eventRows: Repository<PlacetoPayPaymentEvent>,
    @Inject(PLACETOPAY_OPTIONS) options: ResolvedPlacetoPayOptions,
  ) {
    this.site = options.site ?? DEFAULT_SITE;
  }

  findById(id: string): Promise<PlacetoPayPayment | null> {
    return this.paymentRows.findOneBy({ site: this.site, id });
  }

  findByRequestId(requestId: number): Promise<PlacetoPayPayment | null> {
    return this.paymentRows.findOneBy({ site: this.site, requestId });
  }

  /** Every payment of a reference, newest first. */
  listByReference(reference: string): Promise<PlacetoPayPayment[]> {
    return this.paymentRows.find({
      where: { site: this.site, reference },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** The payment that blocks a new one for the reference, if any. */
  findBlocking(reference: string): Promise<PlacetoPayPayment | null> {
    return this.paymentRows.findOneBy({ site: this.site, openReference: reference });
  }

  /** Payments a person has to look at (flagged `needsReview`, or `UNKNOWN`), oldest first. */
  listNeedingReview(limit = 100): Promise<PlacetoPayPayment[]> {
    return this.paymentRows.find({
      where: [
        { site: this.site, needsReview: true },
        { site: this.site, status: PaymentStatus.UNKNOWN },
      ],
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  /** A payment's history, oldest first. */
  history(paymentId: string): Promise<PlacetoPayPaymentEvent[]> {
    return this.eventRows.find({
      where: { site: this.site, paymentId },
      order: { sequence: 'ASC' },
    });
  }
}

/** Whether `requestId` could be one PlacetoPay gave; any other finds nothing, without a query. */
export function isRequestId(requestId: number): boolean {
  return Number.isSafeInteger(requestId) && requestId > 0;
}
