import { PlacetoPayError } from '../../gateway/errors/placetopay.error';

/** The payment is not in a state that allows the operation (refund a pending payment, ...). */
export class PlacetoPayPaymentStateError extends PlacetoPayError {
  readonly code = 'PLACETOPAY_PAYMENT_STATE';

  constructor(
    readonly paymentId: string,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}
