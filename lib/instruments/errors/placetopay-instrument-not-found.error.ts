import { PlacetoPayError } from '../../gateway/errors/placetopay.error';

export class PlacetoPayInstrumentNotFoundError extends PlacetoPayError {
  readonly code = 'PLACETOPAY_INSTRUMENT_NOT_FOUND';

  constructor(readonly instrumentId: string) {
    super(`No stored payment method with id ${instrumentId}`);
  }
}
