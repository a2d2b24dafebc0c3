/** A notification whose fields have the right shape (not yet verified). */
export interface NotificationPayload {
  /** As received, for the signature: the decimal text of the requestId. */
  requestIdText: string;
  requestId: number;
  status: string;
  date: string;
  reason: string | null;
  message: string | null;
  reference: string | null;
  signature: string;
}

export type PayloadCheck =
  { ok: true; payload: NotificationPayload } | { ok: false; missing: string[] };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A non-empty string of at most `max` characters, else null. One with a NUL character is refused
 * too: PostgreSQL cannot store it, and no genuine notification has one.
 */
export const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !value.includes('\u0000')
    ? value
    : null;

/** Free text that is only stored (never signed): NUL characters dropped, then cut to `max`. */
const storable = (value: string, max: number): string =>
  value.replaceAll('\u0000', '').slice(0, max);

/** What a PlacetoPay signature covers (an id, status.status, status.date) and the status around it. */
export interface SignedFields {
  /** The id as received, for the signature: its decimal text. */
  idText: string;
  status: string;
  date: string;
  reason: string | null;
  message: string | null;
  signature: string;
}

/**
 * Reads the signed fields of a notification without transforming them; the names of the missing
 * ones are pushed to `missing` (null then).
 */
export function readSignedFields(
  source: Record<string, unknown>,
  idField: 'requestId' | 'internalReference',
  missing: string[],
): SignedFields | null {
  const rawId = source[idField];
  let idText: string | null = null;
  if (typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId > 0) idText = String(rawId);
  else if (typeof rawId === 'string' && /^[1-9]\d{0,14}$/.test(rawId)) idText = rawId;
  if (!idText) missing.push(idField);
  const status = isObject(source.status) ? source.status : {};
  const statusValue = text(status.status, 32);
  const date = text(status.date, 40);
  if (!statusValue) missing.push('status.status');
  if (!date) missing.push('status.date');
  const signature = text(source.signature, 200);
  if (!signature) missing.push('signature');
  if (!idText || !statusValue || !date || !signature) return null;
  const reason = status.reason;
  return {
    idText,
    status: statusValue,
    date,
    reason:
      typeof reason === 'string' || typeof reason === 'number'
        ? storable(String(reason), 64)
        : null,
    message: typeof status.message === 'string' ? storable(status.message, 255) : null,
    signature,
  };
}

/**
 * Reads PlacetoPay's notification (docs/protocol.md §7.2) without transforming what the signature covers:
 * `requestId`, `status.status` and `status.date` are kept exactly as received. Extra fields are
 * ignored.
 */
export function readNotificationPayload(body: unknown): PayloadCheck {
  const missing: string[] = [];
  const source = isObject(body) ? body : {};
  const signed = readSignedFields(source, 'requestId', missing);
  if (!signed) return { ok: false, missing };
  const { idText, ...rest } = signed;
  return {
    ok: true,
    payload: {
      ...rest,
      requestIdText: idText,
      requestId: Number(idText),
      reference: text(source.reference, 64),
    },
  };
}
