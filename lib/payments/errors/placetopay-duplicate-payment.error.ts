import { PlacetoPayError } from '../../gateway/errors/placetopay.error';

/** A payment for this reference is already approved or under way. */
export class PlacetoPayDuplicatePaymentError extends PlacetoPayError {
  readonly code = 'PLACETOPAY_DUPLICATE_PAYMENT';

  constructor(
    readonly reference: string,
    readonly existingPaymentId: string,
    readonly existingStatus: string,
  ) {
    super(
      `Reference ${reference} already has a ${existingStatus} payment (${existingPaymentId}); ` +
        'set allowDuplicateReferences to take another one',
    );
  }
}
