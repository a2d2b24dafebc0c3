/** The operations of PlacetoPayClient, named in every error it throws. */
export type PlacetoPayOperation =
  | 'createSession'
  | 'getSession'
  | 'cancelSession'
  | 'collect'
  | 'transaction'
  | 'reverse'
  | 'invalidateToken';

/**
 * Base of every error the gateway layer throws. Errors carry only what is safe to log: never the
 * secret, the auth block, the tranKey or the nonce, and never the raw HTTP library error (its
 * request config holds the auth block).
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
