import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { OnPlacetoPayEvent, type PlacetoPayEvent } from 'nestjs-placetopay';
import type { Repository } from 'typeorm';
import { ShopOrder } from './shop-order.entity';

/**
 * Reacts to settled payments. Delivery is at-least-once, so every step is idempotent: the update
 * only moves an order that is still awaiting payment.
 */
@Injectable()
export class OrderFulfilmentListener {
  private readonly logger = new Logger('Shop');

  constructor(@InjectRepository(ShopOrder) private readonly orders: Repository<ShopOrder>) {}

  @OnPlacetoPayEvent('payment.approved')
  async markPaid(event: PlacetoPayEvent): Promise<void> {
    const result = await this.orders.update(
      { id: event.payment.reference, status: 'AWAITING_PAYMENT' },
      { status: 'PAID' },
    );
    if (result.affected)
      this.logger.log(`order ${event.payment.reference} paid (event ${event.id})`);
  }

  @OnPlacetoPayEvent(['payment.rejected', 'payment.partial_expired'])
  async markUnpaid(event: PlacetoPayEvent): Promise<void> {
    await this.orders.update(
      { id: event.payment.reference, status: 'AWAITING_PAYMENT' },
      { status: 'PAYMENT_REJECTED' },
    );
  }
}
