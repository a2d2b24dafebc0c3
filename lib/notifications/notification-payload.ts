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

export const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;

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
      typeof reason === 'string' || typeof reason === 'number' ? String(reason).slice(0, 64) : null,
    message: typeof status.message === 'string' ? status.message.slice(0, 255) : null,
    signature,
  };
}

/**
 * Reads PlacetoPay's notification (API.md §7.2) without transforming what the signature covers:
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
