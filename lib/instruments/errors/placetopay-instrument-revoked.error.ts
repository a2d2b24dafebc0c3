import { PlacetoPayError, type PlacetoPayOperation } from '../../gateway/errors/placetopay.error';

export class PlacetoPayInstrumentRevokedError extends PlacetoPayError {
  readonly code = 'placetopay_instrument_revoked';

  constructor(
    readonly instrumentId: string,
    operation: PlacetoPayOperation = 'chargeInstrument',
  ) {
    super(
      `PlacetoPay ${operation}: the stored payment method ${instrumentId} is revoked; it cannot be charged`,
      operation,
    );
  }
}
