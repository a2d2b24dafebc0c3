import {
  PlacetoPayError,
  operationPrefix,
  type PlacetoPayOperation,
} from '../../gateway/errors/placetopay.error';

/** The payment is not in a state that allows the operation (refund a pending payment, ...). */
export class PlacetoPayPaymentStateError extends PlacetoPayError {
  readonly code = 'placetopay_payment_state';

  constructor(
    readonly paymentId: string,
    readonly status: string,
    message: string,
    operation?: PlacetoPayOperation,
  ) {
    super(`${operationPrefix(operation)}${message}`, operation);
  }
}
