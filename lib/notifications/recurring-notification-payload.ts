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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;

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
 * Reads a recurring-charge notification (API.md §7.2: `status`, `internalReference`, `reference`,
 * `signature`, `recurring: { tries, enabled }`, no `requestId`) without transforming what the
 * signature may cover: `internalReference`, `status.status` and `status.date` are kept exactly as
 * received. `recurring` is informative and never refuses a notification (PlacetoPay sends it once).
 * Extra fields are ignored.
 */
export function readRecurringNotificationPayload(body: unknown): RecurringPayloadCheck {
  const missing: string[] = [];
  const source = isObject(body) ? body : {};
  const raw = source.internalReference;
  let internalReferenceText: string | null = null;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0)
    internalReferenceText = String(raw);
  else if (typeof raw === 'string' && /^[1-9]\d{0,14}$/.test(raw)) internalReferenceText = raw;
  if (!internalReferenceText) missing.push('internalReference');
  const status = isObject(source.status) ? source.status : {};
  const statusValue = text(status.status, 32);
  const date = text(status.date, 40);
  if (!statusValue) missing.push('status.status');
  if (!date) missing.push('status.date');
  const reference = text(source.reference, 64);
  if (!reference) missing.push('reference');
  const signature = text(source.signature, 200);
  if (!signature) missing.push('signature');
  if (missing.length) return { ok: false, missing };
  const reason = status.reason;
  const recurring = isObject(source.recurring) ? source.recurring : {};
  return {
    ok: true,
    payload: {
      internalReferenceText: internalReferenceText!,
      internalReference: Number(internalReferenceText),
      status: statusValue!,
      date: date!,
      reason:
        typeof reason === 'string' || typeof reason === 'number'
          ? String(reason).slice(0, 64)
          : null,
      message: typeof status.message === 'string' ? status.message.slice(0, 255) : null,
      reference: reference!,
      signature: signature!,
      tries: count(recurring.tries),
      enabled: flag(recurring.enabled),
    },
  };
}
