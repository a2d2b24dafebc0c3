import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { OnPlacetoPayEvent, type PlacetoPayEvent } from 'nestjs-placetopay';
import type { Repository } from 'typeorm';
import { isShopSite } from './shop-catalog';
import { ShopOrder } from './shop-order.entity';

/**
 * Reacts to settled payments of both sites: without a `site` filter, a listener hears every site,
 * and `event.site` says which one (`@OnPlacetoPayEvent(type, { site: 'ec' })` would hear only
 * Ecuador's). Delivery is at-least-once, so every step is idempotent: the update only moves an
 * order of that site that is still awaiting payment.
 */
@Injectable()
export class OrderFulfilmentListener {
  private readonly logger = new Logger('Shop');

  constructor(@InjectRepository(ShopOrder) private readonly orders: Repository<ShopOrder>) {}

  @OnPlacetoPayEvent('payment.approved')
  async markPaid(event: PlacetoPayEvent): Promise<void> {
    if (!(await this.settle(event, 'PAID'))) return;
    this.logger.log(
      `order ${event.payment.reference} paid in site ${event.site} (event ${event.id})`,
    );
  }

  @OnPlacetoPayEvent(['payment.rejected', 'payment.partial_expired'])
  async markUnpaid(event: PlacetoPayEvent): Promise<void> {
    await this.settle(event, 'PAYMENT_REJECTED');
  }

  /** Moves the order the payment is for: its reference, in the event's site. */
  private async settle(event: PlacetoPayEvent, status: string): Promise<boolean> {
    // A reference is unique per site only: the same number may be another site's order.
    if (!isShopSite(event.site)) return false;
    const result = await this.orders.update(
      { id: event.payment.reference, site: event.site, status: 'AWAITING_PAYMENT' },
      { status },
    );
    return Boolean(result.affected);
  }
}
