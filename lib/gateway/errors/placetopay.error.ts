/** The operations of PlacetoPayClient, named in every error it throws. */
export type PlacetoPayGatewayOperation =
  | 'createSession'
  | 'getSession'
  | 'cancelSession'
  | 'collect'
  | 'transaction'
  | 'reverse'
  | 'invalidateToken';

/**
 * The operation an error names: a PlacetoPayClient call, or the PlacetoPayService method that
 * refused before (or after) calling PlacetoPay.
 */
export type PlacetoPayOperation =
  | PlacetoPayGatewayOperation
  | 'createPayment'
  | 'syncPayment'
  | 'cancelPayment'
  | 'refundPayment'
  | 'resolveRefund'
  | 'createSubscription'
  | 'chargeInstrument'
  | 'revokeInstrument'
  | 'retryDelivery';

/**
 * Base of every error the gateway layer throws. Errors carry only what is safe to log: never the
 * secret, the auth block, the tranKey or the nonce, and never the raw HTTP library error (its
 * request config holds the auth block). `code` is stable (`placetopay_...`): match on it, not on
 * the message.
 */
export abstract class PlacetoPayError extends Error {
  abstract readonly code: string;

  protected constructor(
    message: string,
    readonly operation?: PlacetoPayOperation,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): Record<string, unknown> {
    return {
      ...(this as unknown as Record<string, unknown>),
      name: this.name,
      message: this.message,
    };
  }
}

/** `PlacetoPay <operation>: ` before a message, or nothing when the operation is unknown. */
export function operationPrefix(operation: PlacetoPayOperation | undefined): string {
  return operation ? `PlacetoPay ${operation}: ` : '';
}
