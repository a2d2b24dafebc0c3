import type { NameValuePair } from '../gateway/wire/common.types';
import type { RedirectInformation } from '../gateway/wire/responses.types';
import type { InstrumentType } from '../persistence/placetopay-instrument.entity';

/** A tokenized payment method as a session shows it (docs/protocol.md §6.5). Holds the plaintext token. */
export interface InstrumentFacts {
  type: InstrumentType;
  token: string;
  franchise: string | null;
  franchiseName: string | null;
  issuerName: string | null;
  lastDigits: string | null;
  validUntil: string | null;
}

const TOKEN = /^[\x21-\x7e]{16,128}$/;

function text(pairs: NameValuePair[], keyword: string, max: number): string | null {
  const value = pairs.find((pair) => pair.keyword === keyword)?.value;
  if (typeof value === 'number') return String(value).slice(0, max);
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

/**
 * The instrument a session tokenized, or null: the subscription must be OK and carry a token
 * (with `payment.subscribe`, only when the buyer opted in).
 */
export function instrumentOf(session: RedirectInformation): InstrumentFacts | null {
  const subscription = session.subscription;
  if (!subscription || subscription.status?.status !== 'OK') return null;
  const pairs = Array.isArray(subscription.instrument) ? subscription.instrument : [];
  // PlacetoPay's tokens are 64 characters; anything else is not stored (nor can it be charged),
  // and never makes the settlement around it fail.
  const token = text(pairs, 'token', 512);
  if (!token || !TOKEN.test(token)) return null;
  if (subscription.type === 'account') {
    const account = text(pairs, 'accountNumber', 64);
    return {
      type: 'account',
      token,
      franchise: text(pairs, 'bankCode', 32),
      franchiseName: text(pairs, 'accountType', 64),
      issuerName: text(pairs, 'bankName', 128),
      lastDigits: account && /\d{4}$/.test(account) ? account.slice(-4) : null,
      validUntil: null,
    };
  }
  const lastDigits = text(pairs, 'lastDigits', 4);
  const validUntil = text(pairs, 'validUntil', 10);
  return {
    type: 'card',
    token,
    franchise: text(pairs, 'franchise', 32),
    franchiseName: text(pairs, 'franchiseName', 64),
    issuerName: text(pairs, 'issuerName', 128),
    lastDigits: lastDigits && /^\d{4}$/.test(lastDigits) ? lastDigits : null,
    validUntil: validUntil && /^\d{4}-\d{2}-\d{2}$/.test(validUntil) ? validUntil : null,
  };
}
