import { PlacetoPayError, type PlacetoPayOperation } from '../../gateway/errors/placetopay.error';

/** A payment for this reference is already approved or under way. */
export class PlacetoPayDuplicatePaymentError extends PlacetoPayError {
  readonly code = 'placetopay_duplicate_payment';

  constructor(
    readonly reference: string,
    readonly existingPaymentId: string,
    readonly existingStatus: string,
    operation: PlacetoPayOperation = 'createPayment',
  ) {
    super(
      `PlacetoPay ${operation}: reference ${reference} already has payment ${existingPaymentId} ` +
        `in status ${existingStatus}; use another reference, or set allowDuplicateReferences`,
      operation,
    );
  }
}
