// src/order-approved.listener.ts
import { Injectable, Logger } from '@nestjs/common';
import { OnPlacetoPayEvent, type PlacetoPayEvent } from 'nestjs-placetopay';

@Injectable()
export class OrderApprovedListener {
  private readonly logger = new Logger(OrderApprovedListener.name);

  // Whoever settled it (return URL, webhook or probe), at least once: dedupe on event.id.
  @OnPlacetoPayEvent('payment.approved')
  async paid(event: PlacetoPayEvent) {
    this.logger.log(`order ${event.payment.reference} paid (event ${event.id})`);
  }
}
