import { PlacetoPayError, operationPrefix, type PlacetoPayOperation } from './placetopay.error';

export interface FieldProblem {
  /** Dotted path of the field, e.g. `payment.amount.total` or `buyer.document`. */
  field: string;
  message: string;
}

/** An outbound request broke PlacetoPay's rules; nothing was sent. Lists every bad field. */
export class PlacetoPayValidationError extends PlacetoPayError {
  readonly code = 'placetopay_validation_failed';

  constructor(
    readonly problems: readonly FieldProblem[],
    operation?: PlacetoPayOperation,
  ) {
    super(
      `${operationPrefix(operation)}invalid request (${problems.length} problem${problems.length === 1 ? '' : 's'}): ` +
        problems.map((p) => `${p.field} ${p.message}`).join('; '),
      operation,
    );
  }
}
