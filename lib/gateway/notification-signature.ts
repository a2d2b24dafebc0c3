import { createHash, timingSafeEqual } from 'node:crypto';
import type { PlacetoPayHashAlgorithm } from '../config/placetopay-options.interface';

export interface NotificationSignatureInput {
  requestId: number | string;
  /** `status.status` exactly as received. */
  status: string;
  /** `status.date` exactly as received (never re-formatted). */
  date: string;
  secretKey: string;
  algorithm?: PlacetoPayHashAlgorithm;
}

const HEX_LENGTH: Record<PlacetoPayHashAlgorithm, number> = { sha256: 64, sha1: 40 };

function digest(input: NotificationSignatureInput, algorithm: PlacetoPayHashAlgorithm): string {
  return createHash(algorithm)
    .update(`${input.requestId}${input.status}${input.date}${input.secretKey}`, 'utf8')
    .digest('hex');
}

/** The wire value of a notification's `signature` (docs/protocol.md §7.3): `sha256:<hex>` or legacy hex. */
export function computeNotificationSignature(input: NotificationSignatureInput): string {
  const algorithm = input.algorithm ?? 'sha256';
  const hex = digest(input, algorithm);
  return algorithm === 'sha256' ? `sha256:${hex}` : hex;
}

export type SignatureCheck =
  | { valid: true; algorithm: PlacetoPayHashAlgorithm }
  | { valid: false; reason: 'missing' | 'malformed' | 'sha1_not_allowed' | 'mismatch' };

/** The algorithm a received signature names: its `sha256:` prefix, none meaning legacy SHA-1. */
export function signatureAlgorithm(signature: string): PlacetoPayHashAlgorithm {
  return signature.startsWith('sha256:') ? 'sha256' : 'sha1';
}

/**
 * Verifies a received signature: the algorithm comes from its prefix (none means SHA-1), the
 * digest must be lowercase hex of the right length, and the comparison is constant-time.
 */
export function checkNotificationSignature(
  signature: unknown,
  input: Omit<NotificationSignatureInput, 'algorithm'>,
  allowLegacySha1 = true,
): SignatureCheck {
  if (typeof signature !== 'string' || signature.length === 0) {
    return { valid: false, reason: 'missing' };
  }
  const algorithm = signatureAlgorithm(signature);
  const received = algorithm === 'sha256' ? signature.slice('sha256:'.length) : signature;
  if (received.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(received)) {
    return { valid: false, reason: 'malformed' };
  }
  if (algorithm === 'sha1' && !allowLegacySha1) return { valid: false, reason: 'sha1_not_allowed' };
  const expected = Buffer.from(digest({ ...input }, algorithm), 'utf8');
  if (!timingSafeEqual(expected, Buffer.from(received, 'utf8'))) {
    return { valid: false, reason: 'mismatch' };
  }
  return { valid: true, algorithm };
}

/**
 * A recurring-charge notification (docs/protocol.md §7.2) carries `internalReference` instead of
 * `requestId`, and PlacetoPay does not document its signature. This is the documented formula's
 * analogue, `HASH(internalReference + status.status + status.date + secretKey)`: a guess.
 */
export interface RecurringNotificationSignatureInput extends Omit<
  NotificationSignatureInput,
  'requestId'
> {
  internalReference: number | string;
}

const asDocumented = ({
  internalReference,
  ...rest
}: RecurringNotificationSignatureInput): NotificationSignatureInput => ({
  ...rest,
  requestId: internalReference,
});

/** The `signature` the analogue formula gives a recurring-charge notification. */
export function computeRecurringNotificationSignature(
  input: RecurringNotificationSignatureInput,
): string {
  return computeNotificationSignature(asDocumented(input));
}

/** `checkNotificationSignature` with the analogue formula (same prefix, length and timing rules). */
export function checkRecurringNotificationSignature(
  signature: unknown,
  input: Omit<RecurringNotificationSignatureInput, 'algorithm'>,
  allowLegacySha1 = true,
): SignatureCheck {
  return checkNotificationSignature(signature, asDocumented(input), allowLegacySha1);
}
