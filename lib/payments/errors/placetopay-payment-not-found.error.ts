import {
  PlacetoPayError,
  operationPrefix,
  type PlacetoPayOperation,
} from '../../gateway/errors/placetopay.error';

export class PlacetoPayPaymentNotFoundError extends PlacetoPayError {
  readonly code = 'placetopay_payment_not_found';

  constructor(
    /** What was looked up, e.g. `requestId 123`. */
    readonly lookup: string,
    operation?: PlacetoPayOperation,
  ) {
    super(`${operationPrefix(operation)}no stored PlacetoPay payment with ${lookup}`, operation);
  }
}
