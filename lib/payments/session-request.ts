import type { PlacetoPayClock } from '../common/clock';
import { PlacetoPayValidationError } from '../gateway/errors/placetopay-validation.error';
import type { PlacetoPayOperation } from '../gateway/errors/placetopay.error';
import type { CreateSessionRequest } from '../gateway/wire/requests.types';
import type { CreatePaymentInput } from './create-payment-input';

/**
 * Building and checking what a session creation sends, before anything is stored: pure helpers
 * shared by payments, subscriptions and charges of stored methods.
 */

const MAX_METADATA_BYTES = 4096;

/** The input must be an object; anything else is a validation error, not a TypeError. */
export function requireObject(input: unknown, operation: PlacetoPayOperation): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PlacetoPayValidationError(
      [{ field: 'input', message: 'must be an object' }],
      operation,
    );
  }
}

/** A Date as PlacetoPay's ISO text; an invalid Date stays invalid text, for validation to refuse. */
export function wireDate(value: Date | string | undefined): string | undefined {
  if (!(value instanceof Date)) return value;
  return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
}

/** PlacetoPay drops a buyer email over 80 characters; so does the stored copy. */
export function storedEmail(email: string | undefined): string | null {
  return email !== undefined && email.length <= 80 ? email : null;
}

/** The object without its undefined keys (they are not sent). */
export function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

/** Now as PlacetoPay sees it (what expirations are checked against). */
export function gatewayNow(clock: PlacetoPayClock, clockOffsetMs: number): Date {
  return new Date(clock.now().getTime() + clockOffsetMs);
}

/** What the host gives for any session (a payment's or a subscription's), as it is sent. */
export type SessionInput = Pick<
  CreatePaymentInput,
  | 'returnUrl'
  | 'ipAddress'
  | 'userAgent'
  | 'buyer'
  | 'payer'
  | 'expiration'
  | 'locale'
  | 'cancelUrl'
>;

/** The fields of a session request that every session takes from its input. */
export function sessionFields(input: SessionInput) {
  return {
    returnUrl: input.returnUrl,
    ipAddress: input.ipAddress,
    userAgent: input.userAgent,
    buyer: input.buyer,
    payer: input.payer,
    expiration: wireDate(input.expiration),
    locale: input.locale,
    cancelUrl: input.cancelUrl,
  };
}

/** The session request of `createPayment`. */
export function paymentSessionRequest(input: CreatePaymentInput): CreateSessionRequest {
  return withoutUndefined<CreateSessionRequest>({
    payment: withoutUndefined({
      reference: input.reference,
      description: input.description,
      amount: { currency: input.amount?.currency, total: input.amount?.total },
      allowPartial: input.allowPartial,
      subscribe: input.subscribe,
      recurring: input.recurring,
    }),
    ...sessionFields(input),
    skipResult: input.skipResult,
    paymentMethod: input.paymentMethod,
    fields: input.fields,
  });
}

/** Metadata is stored and carried by every event: a JSON object of at most 4 KB. */
export function checkMetadata(
  metadata: unknown,
  operation: PlacetoPayOperation = 'createSession',
): void {
  if (metadata === undefined) return;
  let size = Number.POSITIVE_INFINITY;
  try {
    size =
      typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
        ? Buffer.byteLength(JSON.stringify(metadata))
        : size;
  } catch {
    size = Number.POSITIVE_INFINITY;
  }
  if (size > MAX_METADATA_BYTES) {
    throw new PlacetoPayValidationError(
      [
        {
          field: 'metadata',
          message: `must be a JSON object of at most ${MAX_METADATA_BYTES} bytes`,
        },
      ],
      operation,
    );
  }
}
