import { fromMinorUnits } from '../gateway/money';
import type { PlacetoPayTransaction, RedirectInformation } from '../gateway/wire/responses.types';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { newPaymentRow } from './new-payment';
import type { ApplyOutcome } from './payment-observation';
import { decideObservation, type PaymentChange } from './payment-transitions';

/**
 * A recurring charge as a queried session showed it: the original payment whose session lists the
 * charge's transaction (docs/protocol.md §7.2), the transaction, and what the notification added.
 */
export interface RecurringChargeSeen {
  parent: PlacetoPayPayment;
  transaction: PlacetoPayTransaction;
  /** `payment.recurring_charge`'s details besides the link (tries, enabled, the notification). */
  details: Record<string, unknown>;
}

/**
 * The charge seen as a session of its own: its transaction's status (a transaction that FAILED is
 * final at PlacetoPay: REJECTED here) and amount, asked for the original's amount (PlacetoPay
 * charges a recurrence for the first payment's amount, docs/protocol.md §5.5): a charge of any
 * other amount or currency is flagged for review by the ordinary rules, never approved.
 */
export function chargeSession({ parent, transaction }: RecurringChargeSeen): RedirectInformation {
  const status =
    transaction.status.status === 'FAILED'
      ? { ...transaction.status, status: 'REJECTED' }
      : transaction.status;
  return {
    requestId: parent.requestId ?? 0,
    status,
    request: {
      payment: {
        reference: parent.reference,
        amount: {
          currency: parent.currency,
          total: fromMinorUnits(parent.amountMinor, parent.currency),
        },
      },
    },
    payment: [transaction],
    subscription: null,
    autopay: null,
  };
}

/**
 * The row of a charge never seen before: kind `recurring`, for the original's amount (what its
 * transaction is checked against), in CREATING until its first change,
 * never blocking its reference (the original payment holds it), no requestId (the charge has none
 * of its own), linked to its original. Pure: the id and `now` are given.
 */
export function newChargeRow(
  seen: RecurringChargeSeen,
  id: string,
  now: Date,
): Partial<PlacetoPayPayment> {
  const { parent, transaction } = seen;
  return {
    ...newPaymentRow(
      {
        reference: parent.reference,
        description: parent.description,
        currency: parent.currency,
        amountMinor: parent.amountMinor,
        kind: 'recurring',
        metadata: parent.metadata,
        buyerEmail: parent.buyerEmail,
      },
      id,
      now,
      false,
      null,
    ),
    site: parent.site,
    parentPaymentId: parent.id,
    internalReference: transaction.internalReference,
    // What the database would fill in: the events of its first change are written from this row.
    authorization: null,
    paymentMethod: null,
    franchise: null,
    lastDigits: null,
    refundInDoubtMinor: null,
    reviewReason: null,
    gatewaySnapshot: null,
    leaseOwner: null,
    leaseUntil: null,
  };
}

/**
 * A charge applied to its row by the ordinary rules (so `payment.approved`, `payment.rejected` fire
 * as for any payment); a new row also gets `payment.recurring_charge`, with the link to the
 * original payment.
 */
export function decideRecurringCharge(
  current: PlacetoPayPayment,
  seen: RecurringChargeSeen,
  created: boolean,
  now: Date,
): PaymentChange<ApplyOutcome> | null {
  const change = decideObservation(
    current,
    { source: 'notification', session: chargeSession(seen) },
    now,
  );
  if (!change || !created) return change;
  change.events.push({
    type: 'payment.recurring_charge',
    details: {
      parentPaymentId: seen.parent.id,
      parentRequestId: seen.parent.requestId,
      internalReference: seen.transaction.internalReference,
      status: seen.transaction.status.status,
      ...seen.details,
    },
  });
  return change;
}
