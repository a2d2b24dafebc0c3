import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PaymentStatus } from './payment-status';

/** What a caller gives to store a new payment before its session is created. */
export type NewPayment = Pick<
  PlacetoPayPayment,
  'reference' | 'description' | 'currency' | 'amountMinor'
> &
  Partial<
    Pick<PlacetoPayPayment, 'kind' | 'allowPartial' | 'buyerEmail' | 'metadata' | 'expiresAt'>
  >;

/**
 * The row of a new payment, in CREATING. `blocksReference` fills the unique `openReference`;
 * `staleCheckAt` is when the probe looks at a creation that never finished. Pure: the id and `now`
 * are given.
 */
export function newPaymentRow(
  draft: NewPayment,
  id: string,
  now: Date,
  blocksReference: boolean,
  staleCheckAt: Date | null,
): Partial<PlacetoPayPayment> {
  return {
    kind: 'payment',
    allowPartial: false,
    buyerEmail: null,
    metadata: null,
    expiresAt: null,
    ...draft,
    id,
    openReference: blocksReference ? draft.reference : null,
    requestId: null,
    processUrl: null,
    paidMinor: 0,
    status: PaymentStatus.CREATING,
    statusReason: null,
    statusMessage: null,
    // Only PlacetoPay's dates go here: they are compared with later observations.
    statusDate: null,
    refunded: false,
    refundedMinor: 0,
    needsReview: false,
    // The probe's look at a creation that never finished (the process stopped mid-call).
    nextCheckAt: staleCheckAt,
    checkAttempts: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}
