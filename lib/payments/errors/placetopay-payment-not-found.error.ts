import { PlacetoPayError } from '../../gateway/errors/placetopay.error';

export class PlacetoPayPaymentNotFoundError extends PlacetoPayError {
  readonly code = 'PLACETOPAY_PAYMENT_NOT_FOUND';

  constructor(readonly lookup: string) {
    super(`No PlacetoPay payment with ${lookup}`);
  }
}
