/** What listeners can subscribe to. `payment.status_changed` fires for every status transition. */
export type PlacetoPayEventType =
  | 'payment.created'
  | 'payment.approved'
  | 'payment.partially_approved'
  | 'payment.rejected'
  | 'payment.partial_expired'
  | 'payment.refunded'
  | 'payment.review_required'
  | 'payment.unresolved'
  | 'payment.status_changed'
  | 'instrument.created'
  | 'payment.recurring_charge'
  | 'payment.session_attached'
  | 'payment.abandoned'
  | 'payment.expired_unconfirmed';

/** Who saw what made the change. */
export type PaymentSource = 'create' | 'return' | 'notification' | 'probe' | 'manual';
