import type { AmountConversion, NameValuePair, PlacetoPayStatus } from './wire/common.types';
import type {
  CancelSessionResponse,
  CreateSessionResponse,
  InvalidateTokenResponse,
  PlacetoPayTransaction,
  RedirectInformation,
  SubscriptionResponse,
  TransactionActionResponse,
} from './wire/responses.types';

/** A body that is JSON but not a PlacetoPay answer. */
export class MalformedResponseError extends Error {}

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Numbers may arrive as strings (`"1000000.00"`). */
export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return null;
}

export function asString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

function asInteger(value: unknown): number | null {
  const n = asNumber(value);
  return n !== null && Number.isSafeInteger(n) ? n : null;
}

function asBoolean(value: unknown): boolean {
  return value === true || value === 'true' || value === 1 || value === '1';
}

function asPairs(value: unknown): NameValuePair[] {
  if (Array.isArray(value)) {
    return value
      .filter(isObject)
      .map((item) => ({ ...item, keyword: asString(item.keyword) ?? '' }));
  }
  // Some answers send `processorFields` as a plain object.
  if (isObject(value)) return Object.entries(value).map(([keyword, v]) => ({ keyword, value: v }));
  return [];
}

export function parseStatus(value: unknown): PlacetoPayStatus {
  if (!isObject(value)) throw new MalformedResponseError('the answer has no status object');
  const reason = value.reason;
  return {
    ...value,
    status: asString(value.status) ?? 'UNKNOWN',
    reason: typeof reason === 'number' || typeof reason === 'string' ? reason : null,
    message: asString(value.message),
    date: asString(value.date),
  };
}

function parseAmountBase(value: unknown): { currency: string; total: number } | null {
  if (!isObject(value)) return null;
  const currency = asString(value.currency);
  const total = asNumber(value.total);
  return currency !== null && total !== null ? { ...value, currency, total } : null;
}

function parseAmountConversion(value: unknown): AmountConversion | null {
  if (!isObject(value)) return null;
  const from = parseAmountBase(value.from);
  const to = parseAmountBase(value.to) ?? from;
  if (!from || !to) {
    // A plain `{currency, total}` amount: treat it as unconverted.
    const plain = parseAmountBase(value);
    return plain ? { from: plain, to: plain, factor: 1 } : null;
  }
  return { ...value, from, to, factor: asNumber(value.factor) ?? 1 };
}

const UNKNOWN_STATUS = { status: 'UNKNOWN', reason: null, message: null, date: null };

export function parseTransaction(value: unknown): PlacetoPayTransaction {
  if (!isObject(value)) throw new MalformedResponseError('a payment entry is not an object');
  return {
    ...value,
    // A transaction without a status is kept, as UNKNOWN: one odd entry must not hide the session.
    status: isObject(value.status) ? parseStatus(value.status) : { ...UNKNOWN_STATUS },
    internalReference: asInteger(value.internalReference),
    reference: asString(value.reference),
    paymentMethod: asString(value.paymentMethod),
    paymentMethodName: asString(value.paymentMethodName),
    issuerName: asString(value.issuerName),
    amount: parseAmountConversion(value.amount),
    authorization: asString(value.authorization),
    receipt: asString(value.receipt),
    franchise: asString(value.franchise),
    refunded: asBoolean(value.refunded),
    processorFields: asPairs(value.processorFields),
  };
}

function parseSubscription(value: unknown): SubscriptionResponse | null {
  if (!isObject(value)) return null;
  return {
    ...value,
    status: isObject(value.status) ? parseStatus(value.status) : null,
    type: asString(value.type),
    instrument: asPairs(value.instrument),
  };
}

function requireRequestId(value: unknown): number {
  const id = asInteger(value);
  if (id === null || id <= 0) throw new MalformedResponseError('the answer has no valid requestId');
  return id;
}

/** The session's id: the one asked for must be the one answered (a missing one is taken as it). */
function sessionId(value: unknown, expected: number | undefined): number {
  if ((value === undefined || value === null) && expected !== undefined) return expected;
  const id = requireRequestId(value);
  if (expected !== undefined && id !== expected) {
    throw new MalformedResponseError(`the answer is for session ${id}, not ${expected}`);
  }
  return id;
}

export function parseRedirectInformation(
  value: unknown,
  expectedRequestId?: number,
): RedirectInformation {
  if (!isObject(value)) throw new MalformedResponseError('the answer is not an object');
  const payments = value.payment;
  return {
    ...value,
    requestId: sessionId(value.requestId, expectedRequestId),
    status: parseStatus(value.status),
    request: isObject(value.request) ? value.request : null,
    // The spec types collect's `payment` as one object; every example sends an array.
    payment: Array.isArray(payments)
      ? payments.filter(isObject).map(parseTransaction)
      : isObject(payments)
        ? [parseTransaction(payments)]
        : [],
    subscription: parseSubscription(value.subscription),
    autopay: Array.isArray(value.autopay) ? value.autopay : null,
  };
}

export function parseCreateSessionResponse(value: unknown): CreateSessionResponse {
  if (!isObject(value)) throw new MalformedResponseError('the answer is not an object');
  const processUrl = asString(value.processUrl);
  if (!processUrl) throw new MalformedResponseError('the answer has no processUrl');
  return {
    ...value,
    status: parseStatus(value.status),
    requestId: requireRequestId(value.requestId),
    processUrl,
  };
}

export function parseCancelSessionResponse(
  value: unknown,
  requestId: number,
): CancelSessionResponse {
  if (!isObject(value)) throw new MalformedResponseError('the answer is not an object');
  return {
    ...value,
    status: parseStatus(value.status),
    session: isObject(value.session) ? parseRedirectInformation(value.session, requestId) : null,
  };
}

export function parseTransactionActionResponse(value: unknown): TransactionActionResponse {
  if (!isObject(value)) throw new MalformedResponseError('the answer is not an object');
  const payment = Array.isArray(value.payment) ? value.payment[0] : value.payment;
  return {
    ...value,
    status: parseStatus(value.status),
    payment: isObject(payment) ? parseTransaction(payment) : null,
  };
}

export function parseInvalidateTokenResponse(value: unknown): InvalidateTokenResponse {
  if (!isObject(value)) throw new MalformedResponseError('the answer is not an object');
  return { ...value, status: parseStatus(value.status) };
}

/** The status object of any answer, if it has one (used to classify error answers). */
export function peekStatus(value: unknown): PlacetoPayStatus | null {
  if (!isObject(value) || !isObject(value.status)) return null;
  return parseStatus(value.status);
}
