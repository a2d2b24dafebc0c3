import type { PlacetoPayEventType } from '../payments/placetopay-event-type';
import type { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import type { PlacetoPayEvent } from './placetopay-event';

/** What a listener receives for an outbox row. */
export function toEvent(row: PlacetoPayPaymentEvent): PlacetoPayEvent {
  const payload = row.payload as {
    payment: PlacetoPayEvent['payment'];
    details?: Record<string, unknown>;
  };
  return {
    id: row.id,
    site: row.site,
    type: row.type as PlacetoPayEventType,
    occurredAt: row.createdAt,
    source: row.source as PlacetoPayEvent['source'],
    previousStatus: row.fromStatus,
    status: row.toStatus,
    transition: row.fromStatus !== row.toStatus,
    payment: payload.payment,
    ...(payload.details ? { details: payload.details } : {}),
  };
}
