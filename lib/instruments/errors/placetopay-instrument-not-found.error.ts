import {
  PlacetoPayError,
  operationPrefix,
  type PlacetoPayOperation,
} from '../../gateway/errors/placetopay.error';

export class PlacetoPayInstrumentNotFoundError extends PlacetoPayError {
  readonly code = 'placetopay_instrument_not_found';

  constructor(
    readonly instrumentId: string,
    operation?: PlacetoPayOperation,
  ) {
    super(
      `${operationPrefix(operation)}no stored payment method with id ${instrumentId}`,
      operation,
    );
  }
}
