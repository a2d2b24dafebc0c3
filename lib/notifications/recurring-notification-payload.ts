import { isObject, readSignedFields, text } from './notification-payload';
/** A recurring-charge notification whose fields have the right shape (not yet verified). */
export interface RecurringNotificationPayload {
  /** As received, for the signature: the decimal text of the internalReference. */
  internalReferenceText: string;
  /** The charge's own transaction id at PlacetoPay. */
  internalReference: number;
  status: string;
  date: string;
  reason: string | null;
  message: string | null;
  /** The original payment's `payment.reference`. */
  reference: string;
  signature: string;
  /** `recurring.tries`: which attempt this charge was; null when absent or not a count. */
  tries: number | null;
  /** `recurring.enabled`: whether the recurrence goes on; null when absent or not a flag. */
  enabled: boolean | null;
}

export type RecurringPayloadCheck =
  { ok: true; payload: RecurringNotificationPayload } | { ok: false; missing: string[] };

/** The largest value of an `int` column on every engine. */
const MAX_INT = 2_147_483_647;

/** A count sent as a number or, in a form, as its text. */
function count(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_INT)
    return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value);
  return null;
}

/** A flag sent as a boolean or, in a form, as its text. */
function flag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  return null;
}

/**
 * Reads a recurring-charge notification (docs/protocol.md §7.2: `status`, `internalReference`, `reference`,
 * `signature`, `recurring: { tries, enabled }`, no `requestId`) without transforming what the
 * signature may cover: `internalReference`, `status.status` and `status.date` are kept exactly as
 * received. `recurring` is informative and never refuses a notification (PlacetoPay sends it once).
 * Extra fields are ignored.
 */
export function readRecurringNotificationPayload(body: unknown): RecurringPayloadCheck {
  const missing: string[] = [];
  const source = isObject(body) ? body : {};
  const signed = readSignedFields(source, 'internalReference', missing);
  const reference = text(source.reference, 64);
  if (!reference) missing.push('reference');
  if (!signed || !reference) return { ok: false, missing: ordered(missing) };
  const { idText, ...rest } = signed;
  const recurring = isObject(source.recurring) ? source.recurring : {};
  return {
    ok: true,
    payload: {
      ...rest,
      internalReferenceText: idText,
      internalReference: Number(idText),
      reference,
      tries: count(recurring.tries),
      enabled: flag(recurring.enabled),
    },
  };
}

/** The missing fields in the order the body lists them (reference before signature). */
function ordered(missing: string[]): string[] {
  const order = ['internalReference', 'status.status', 'status.date', 'reference', 'signature'];
  return order.filter((field) => missing.includes(field));
}
