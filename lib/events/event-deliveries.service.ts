import { Inject, Injectable } from '@nestjs/common';
import { InjectSiteRepository } from '../persistence/site-data-source';

import type { FindOptionsWhere, Repository } from 'typeorm';
import { PlacetoPayError } from '../gateway/errors/placetopay.error';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { DEFAULT_SITE } from '../config/site-name';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { EventDispatcher, type DrainSummary } from './event-dispatcher';
import { PlacetoPayEventDelivery } from '../persistence/placetopay-event-delivery.entity';

export class PlacetoPayDeliveryNotFoundError extends PlacetoPayError {
  readonly code = 'placetopay_delivery_not_found';

  constructor(readonly deliveryId: string) {
    super(
      `PlacetoPay retryDelivery: no dead-lettered event delivery ${deliveryId}`,
      'retryDelivery',
    );
  }
}

/** Operations on event deliveries: dead letters, retries, an immediate delivery pass. */
@Injectable()
export class EventDeliveries {
  constructor(
    @InjectSiteRepository(PlacetoPayEventDelivery)
    private readonly deliveries: Repository<PlacetoPayEventDelivery>,
    private readonly dispatcher: EventDispatcher,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  private get site(): string {
    return this.options.site ?? DEFAULT_SITE;
  }

  /** Deliveries that ran out of attempts, newest first, with the last error. */
  listDeadLetters(limit = 100): Promise<PlacetoPayEventDelivery[]> {
    return this.deliveries.find({
      where: { site: this.site, status: 'dead' },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }

  /** Gives a dead-lettered delivery a fresh set of attempts, due now. */
  async retry(deliveryId: string): Promise<void> {
    if ((await this.requeue({ id: deliveryId })) !== 1) {
      throw new PlacetoPayDeliveryNotFoundError(deliveryId);
    }
  }

  /**
   * Gives this site's dead letters matching `where` (all of them without it) a fresh set of
   * attempts, due now, and wakes the dispatcher; resolves with how many.
   */
  async requeue(where: FindOptionsWhere<PlacetoPayEventDelivery> = {}): Promise<number> {
    const result = await this.deliveries.update(
      { ...where, site: this.site, status: 'dead' },
      {
        status: 'pending',
        attempts: 0,
        nextAttemptAt: this.clock.now(),
        leaseOwner: null,
        leaseUntil: null,
      },
    );
    const count = result.affected ?? 0;
    if (count > 0) this.dispatcher.kick();
    return count;
  }

  /** Delivers everything due now and resolves when done (e.g. before rendering a return page). */
  deliverNow(): Promise<DrainSummary> {
    return this.dispatcher.drain();
  }
}
