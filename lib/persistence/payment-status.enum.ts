/**
 * A payment's status: PlacetoPay's session statuses plus three of our own for the time before and
 * around session creation.
 */
export enum PaymentStatus {
  /** Our row exists; the session has not been created yet (or we have not heard back). */
  CREATING = 'CREATING',
  /** Session creation failed for certain (PlacetoPay refused it, or it was never sent). Final. */
  FAILED = 'FAILED',
  /** Session creation may or may not have happened (timeout, reset, 5xx). Needs a human or a retry. */
  UNKNOWN = 'UNKNOWN',
  PENDING = 'PENDING',
  APPROVED_PARTIAL = 'APPROVED_PARTIAL',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  PARTIAL_EXPIRED = 'PARTIAL_EXPIRED',
}
