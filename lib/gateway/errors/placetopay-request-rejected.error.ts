import { PlacetoPayError, type PlacetoPayOperation } from './placetopay.error';

/** PlacetoPay answered and refused the request (status FAILED), e.g. `request_not_valid`. */
export class PlacetoPayRequestRejectedError extends PlacetoPayError {
  readonly code = 'placetopay_request_rejected';

  constructor(
    operation: PlacetoPayOperation,
    readonly reason: string | number | null,
    readonly gatewayMessage: string | null,
    readonly httpStatus: number,
  ) {
    super(
      `PlacetoPay ${operation} was rejected (HTTP ${httpStatus}, reason ${String(reason)}): ${gatewayMessage ?? 'no message'}`,
      operation,
    );
  }
}
