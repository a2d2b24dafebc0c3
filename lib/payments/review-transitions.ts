import type { RedirectInformation } from '../gateway/wire/responses.types';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import type { ApplyOutcome } from './payment-observation';
import { PaymentStatus } from './payment-status';
import { transitionTo, type PaymentChange } from './payment-transitions';
import { amountMismatch } from './session-facts';

/**
 * The rules for payments nobody can settle from a session query: a redirect session whose creation
 * outcome is unknown and whose expiration has passed (the probe ends it), and what an operator
 * decides (attach the session found in PlacetoPay's console, or abandon the payment). Pure, like
 * payment-transitions.ts; PaymentLifecycle writes what they decide.
 */

export const EXPIRED_UNCONFIRMED = 'expired_unconfirmed';
export const ABANDONED = 'abandoned';

/** A redirect session reaches its buyer through processUrl; a collect charge has none. */
export function hasBuyerRedirect(payment: Pick<PlacetoPayPayment, 'kind'>): boolean {
  return payment.kind !== 'collect';
}

/** An UNKNOWN redirect session with no requestId: no buyer ever received its processUrl. */
export function isUnconfirmedRedirect(payment: PlacetoPayPayment): boolean {
  return (
    payment.status === PaymentStatus.UNKNOWN &&
    payment.requestId === null &&
    hasBuyerRedirect(payment) &&
    payment.expiresAt !== null
  );
}

/**
 * An unconfirmed redirect session past `deadline` (its expiration plus the probe's grace): nobody
 * can pay it any more, so it ends FAILED (`expired_unconfirmed`) and frees its reference.
 */
export function decideExpiredUnconfirmed(
  current: PlacetoPayPayment,
  now: Date,
  deadline: Date,
): PaymentChange<ApplyOutcome> | null {
  if (!isUnconfirmedRedirect(current) || now < deadline) return null;
  const change = transitionTo(current, PaymentStatus.FAILED, 'probe', {
    statusReason: EXPIRED_UNCONFIRMED,
    statusMessage: 'the creation outcome was unknown and the session expired unpaid',
    needsReview: false,
    reviewReason: null,
  });
  if (change) {
    change.events = [
      {
        type: 'payment.expired_unconfirmed',
        details: { expiresAt: current.expiresAt!.toISOString() },
      },
    ];
  }
  return change;
}

/** An operator ends an UNKNOWN or CREATING payment: FAILED, with the note, reference free. */
export function decideAbandoned(
  current: PlacetoPayPayment,
  note: string,
): PaymentChange<ApplyOutcome> | null {
  if (current.status !== PaymentStatus.UNKNOWN && current.status !== PaymentStatus.CREATING) {
    return null;
  }
  const change = transitionTo(current, PaymentStatus.FAILED, 'manual', {
    statusReason: ABANDONED,
    statusMessage: note.slice(0, 255),
    needsReview: false,
    reviewReason: null,
  });
  if (change) change.events = [{ type: 'payment.abandoned', details: { note } }];
  return change;
}

/**
 * Why `session` is not this payment's, or null when it is: the same reference, and for a charge
 * the same currency and amount (docs/protocol.md §6.1: the session echoes its request).
 */
export function sessionMismatch(
  session: RedirectInformation,
  payment: PlacetoPayPayment,
): string | null {
  const request = session.request as
    { payment?: { reference?: unknown }; subscription?: { reference?: unknown } } | undefined;
  const echoed = payment.kind === 'subscription' ? request?.subscription : request?.payment;
  if (!echoed) return `session ${session.requestId} does not echo its request`;
  if (echoed.reference !== payment.reference) {
    return `session ${session.requestId} is for reference ${String(echoed.reference)}, not ${payment.reference}`;
  }
  if (payment.kind === 'subscription') return null;
  const amount = (echoed as { amount?: unknown }).amount;
  if (!amount) return `session ${session.requestId} has no amount`;
  return amountMismatch({ ...session, status: { ...session.status, status: 'PENDING' } }, payment);
}

/** An operator attaches the session found in PlacetoPay's console: UNKNOWN → PENDING. */
export function decideAttached(
  current: PlacetoPayPayment,
  session: { requestId: number; processUrl: string | null },
  nextCheckAt: Date | null,
): PaymentChange<ApplyOutcome> | null {
  if (current.status !== PaymentStatus.UNKNOWN || current.requestId !== null) return null;
  const change = transitionTo(current, PaymentStatus.PENDING, 'manual', {
    requestId: session.requestId,
    processUrl: session.processUrl,
    statusReason: 'PC',
    statusMessage: null,
    needsReview: false,
    reviewReason: null,
    nextCheckAt,
  });
  if (change) {
    change.events = [
      { type: 'payment.session_attached', details: { requestId: session.requestId } },
    ];
  }
  return change;
}
