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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;

/**
 * Reads PlacetoPay's notification (API.md §7.2) without transforming what the signature covers:
 * `requestId`, `status.status` and `status.date` are kept exactly as received. Extra fields are
 * ignored.
 */
export function readNotificationPayload(body: unknown): PayloadCheck {
  const missing: string[] = [];
  const source = isObject(body) ? body : {};
  const rawId = source.requestId;
  let requestIdText: string | null = null;
  if (typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId > 0)
    requestIdText = String(rawId);
  else if (typeof rawId === 'string' && /^[1-9]\d{0,14}$/.test(rawId)) requestIdText = rawId;
  if (!requestIdText) missing.push('requestId');
  const status = isObject(source.status) ? source.status : {};
  const statusValue = text(status.status, 32);
  const date = text(status.date, 40);
  if (!statusValue) missing.push('status.status');
  if (!date) missing.push('status.date');
  const signature = text(source.signature, 200);
  if (!signature) missing.push('signature');
  if (missing.length) return { ok: false, missing };
  const reason = status.reason;
  return {
    ok: true,
    payload: {
      requestIdText: requestIdText!,
      requestId: Number(requestIdText),
      status: statusValue!,
      date: date!,
      reason:
        typeof reason === 'string' || typeof reason === 'number'
          ? String(reason).slice(0, 64)
          : null,
      message: typeof status.message === 'string' ? status.message.slice(0, 255) : null,
      reference: text(source.reference, 64),
      signature: signature!,
    },
  };
}
