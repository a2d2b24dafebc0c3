import { PlacetoPayError } from '../../gateway/errors/placetopay.error';

export class PlacetoPayInstrumentRevokedError extends PlacetoPayError {
  readonly code = 'PLACETOPAY_INSTRUMENT_REVOKED';

  constructor(readonly instrumentId: string) {
    super(`The stored payment method ${instrumentId} is revoked; it cannot be charged`);
  }
}
