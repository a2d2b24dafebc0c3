import { currencyMinorUnits } from '../gateway/money';
import type { PlacetoPayTransaction, RedirectInformation } from '../gateway/wire/responses.types';

/** Minor units of a decimal total in a currency, or undefined when it cannot be expressed. */
function minorOf(total: number | undefined, currency: string | undefined): number | undefined {
  if (total === undefined || currency === undefined) return undefined;
  const digits = currencyMinorUnits(currency);
  if (digits === undefined) return undefined;
  return Math.round(total * 10 ** digits);
}

export function approvedTransactions(session: RedirectInformation): PlacetoPayTransaction[] {
  return session.payment.filter((tx) => tx.status.status === 'APPROVED');
}

/** The transaction that settles the session: the newest approved one, else the newest one. */
export function settlingTransaction(
  session: RedirectInformation,
): PlacetoPayTransaction | undefined {
  return approvedTransactions(session)[0] ?? session.payment[0];
}

export function lastDigitsOf(tx: PlacetoPayTransaction | undefined): string | null {
  const field = tx?.processorFields.find((f) => f.keyword === 'lastDigits');
  return typeof field?.value === 'string' && /^\d{4}$/.test(field.value) ? field.value : null;
}

/** What approved transactions add up to, in the payment's currency (minor units). */
export function paidMinor(session: RedirectInformation, currency: string): number | undefined {
  let sum = 0;
  for (const tx of approvedTransactions(session)) {
    const from = tx.amount?.from;
    if (!from || from.currency !== currency) return undefined;
    const minor = minorOf(from.total, from.currency);
    if (minor === undefined) return undefined;
    sum += minor;
  }
  return sum;
}

/**
 * Why an observed session cannot be trusted for the stored payment, or null. The notification's
 * signature covers neither amount nor currency, so the amount is checked on the queried session:
 * the amount it was created for, and what its approved transactions add up to.
 */
export function amountMismatch(
  session: RedirectInformation,
  expected: { currency: string; amountMinor: number; allowPartial: boolean },
): string | null {
  const requested = (
    session.request?.payment as { amount?: { currency?: unknown; total?: unknown } } | undefined
  )?.amount;
  if (requested) {
    const currency = typeof requested.currency === 'string' ? requested.currency : undefined;
    const total = typeof requested.total === 'number' ? requested.total : Number(requested.total);
    if (currency !== expected.currency) {
      return `session currency ${String(currency)} differs from the stored ${expected.currency}`;
    }
    if (minorOf(total, currency) !== expected.amountMinor) {
      return `session amount ${total} ${currency} differs from the stored amount`;
    }
  }
  const status = session.status.status;
  if (status === 'APPROVED' || status === 'APPROVED_PARTIAL' || status === 'PARTIAL_EXPIRED') {
    const paid = paidMinor(session, expected.currency);
    if (paid === undefined) return `approved transactions are not in ${expected.currency}`;
    if (status === 'APPROVED' && paid !== expected.amountMinor) {
      return `approved transactions add up to ${paid} minor units, not the stored ${expected.amountMinor}`;
    }
    if (status !== 'APPROVED' && paid > expected.amountMinor) {
      return `approved transactions add up to more than the stored amount`;
    }
  }
  return null;
}

/** Whether a session was created with `payment.recurring` (PlacetoPay charges it on a schedule). */
export function isRecurringSession(session: RedirectInformation): boolean {
  const payment = session.request?.payment as { recurring?: unknown } | undefined;
  return typeof payment?.recurring === 'object' && payment.recurring !== null;
}

/**
 * The session as the original payment's own: a recurring session's query may list the charges
 * PlacetoPay made on its recurrence beside the first payment (docs/protocol.md §7.2, UNCERTAIN),
 * and they are payments of their own. Only the first approved transaction is the session's: the
 * one stored as the payment's (`internalReference`), else the lowest-numbered approved one.
 */
export function withoutRecurringCharges(
  session: RedirectInformation,
  own: number | null,
): RedirectInformation {
  if (!isRecurringSession(session)) return session;
  const approved = session.payment.filter((tx) => tx.status.status === 'APPROVED');
  if (approved.length <= 1) return session;
  const first =
    approved.find((tx) => own !== null && tx.internalReference === own) ??
    [...approved].sort((a, b) => (a.internalReference ?? 0) - (b.internalReference ?? 0))[0];
  return {
    ...session,
    payment: session.payment.filter((tx) => tx.status.status !== 'APPROVED' || tx === first),
  };
}

const SNAPSHOT_TRANSACTION_FIELDS = [
  'status',
  'internalReference',
  'reference',
  'paymentMethod',
  'paymentMethodName',
  'issuerName',
  'amount',
  'authorization',
  'receipt',
  'franchise',
  'refunded',
] as const;

/**
 * The last gateway answer as stored: an allow-list of fields, so no token, subtoken, card number,
 * CVV, buyer document or processor field ever reaches the database.
 */
export function redactedSnapshot(session: RedirectInformation): Record<string, unknown> {
  const payment = session.request?.payment as
    { reference?: unknown; amount?: unknown; allowPartial?: unknown } | undefined;
  return {
    requestId: session.requestId,
    status: { ...session.status },
    request: payment
      ? {
          payment: {
            reference: payment.reference,
            amount: payment.amount,
            allowPartial: payment.allowPartial,
          },
        }
      : null,
    payment: session.payment.map((tx) => ({
      ...Object.fromEntries(SNAPSHOT_TRANSACTION_FIELDS.map((key) => [key, tx[key]])),
      lastDigits: lastDigitsOf(tx),
    })),
    subscription: session.subscription
      ? { type: session.subscription.type, status: session.subscription.status }
      : null,
  };
}
