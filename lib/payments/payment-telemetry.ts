import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Repository } from 'typeorm';
import { AttributeSets, instruments, observeGauge } from '../common/telemetry';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { InjectSiteRepository } from '../persistence/site-data-source';
import { PaymentStatus, isFinalStatus } from './payment-status';

const finals = new AttributeSets(['placetopay.status']);

/** After a committed change: `placetopay.payments.final` when it made `before` final. */
export function countFinalStatus(before: PlacetoPayPayment, to: PaymentStatus | undefined): void {
  if (to === undefined || to === before.status || !isFinalStatus(to)) return;
  instruments()?.paymentsFinal.add(1, finals.get(before.site, to));
}

const sites = new AttributeSets([]);

/**
 * `placetopay.payments.review`: this site's payments a person has to look at (flagged
 * `needsReview`, or `UNKNOWN`: what `listPaymentsNeedingReview` lists), counted only when a
 * metric reader collects.
 */
@Injectable()
export class ReviewGauge implements OnApplicationBootstrap, OnApplicationShutdown {
  private unobserve = (): void => undefined;

  constructor(
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly payments: Repository<PlacetoPayPayment>,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  onApplicationBootstrap(): void {
    const site = this.options.site;
    const attributes = sites.get(site);
    this.unobserve = observeGauge(
      (instruments) => instruments.paymentsReview,
      async (result) => {
        const count = await this.payments.count({
          where: [
            { site, needsReview: true },
            { site, status: PaymentStatus.UNKNOWN },
          ],
        });
        result.observe(count, attributes);
      },
    );
  }

  onApplicationShutdown(): void {
    this.unobserve();
  }
}
