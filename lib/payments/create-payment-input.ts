import type { NameValuePair } from '../gateway/wire/common.types';
import type { Recurring } from '../gateway/wire/requests.types';
import type { Person } from '../gateway/wire/person.types';

/** What `PlacetoPayService.createPayment` takes. */
export interface CreatePaymentInput {
  /** Your reference (order id), 1-32 characters. */
  reference: string;
  description: string;
  /** A decimal total in the currency's ISO 4217 minor units: `{ currency: 'COP', total: 32000 }`. */
  amount: { currency: string; total: number };
  /** Where PlacetoPay returns the buyer; embed your order id in it. */
  returnUrl: string;
  /** The buyer's IP address and user agent. */
  ipAddress: string;
  userAgent: string;
  buyer?: Person;
  payer?: Person;
  /** At least 5 minutes ahead; PlacetoPay's default is 30 minutes. */
  expiration?: Date | string;
  locale?: string;
  /** Your own data, stored with the payment and carried by its events (JSON, at most 4 KB). */
  metadata?: Record<string, unknown>;
  cancelUrl?: string;
  skipResult?: boolean;
  /** Restrict methods, e.g. `visa,master,pse`. */
  paymentMethod?: string;
  fields?: NameValuePair[];
  /**
   * A mixed payment: the buyer may pay in several parts. APPROVED_PARTIAL (with `paidMinor`)
   * until the total is paid (APPROVED) or the session expires (PARTIAL_EXPIRED).
   */
  allowPartial?: boolean;
  /**
   * Offer the buyer to save the payment method; if they do, it is stored as a
   * `PlacetoPayInstrument` and `instrument.created` fires. Needs `instrumentKey`.
   */
  subscribe?: boolean;
  /** PlacetoPay-driven recurring charges (docs/protocol.md §5.5); not with `allowPartial`. */
  recurring?: Recurring;
}

export interface CreatePaymentResult<P> {
  payment: P;
  requestId: number;
  processUrl: string;
}
