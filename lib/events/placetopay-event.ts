import type { PaymentSource, PlacetoPayEventType } from '../payments/placetopay-event-type';

/** What a listener receives. */
export interface PlacetoPayEvent {
  /** Stable across redeliveries: dedupe on it. */
  id: string;
  /** The site (the registration's `name`, `'default'` for the unnamed one) of the payment. */
  site: string;
  type: PlacetoPayEventType;
  occurredAt: Date;
  source: PaymentSource;
  /** The status before the change (equal to `status` for refunds and reviews). */
  previousStatus: string | null;
  status: string | null;
  /** Whether the status changed (what `payment.status_changed` listeners receive). */
  transition: boolean;
  /** The payment as it was right after the change: ids, status, amounts, settling transaction, metadata. */
  payment: Record<string, unknown> & {
    id: string;
    reference: string;
    requestId: number | null;
    status: string;
  };
  details?: Record<string, unknown>;
}
