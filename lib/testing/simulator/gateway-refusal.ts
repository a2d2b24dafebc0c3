import { PlacetoPayValidationError } from '../../gateway/errors/placetopay-validation.error';

/** A request the simulated gateway refuses; becomes a FAILED answer. */
export class GatewayRefusal extends Error {
  constructor(
    readonly httpStatus: number,
    readonly reason: string | number,
    message: string,
  ) {
    super(message);
  }
}

/** Why a request failed, as a FAILED answer tells it. */
export interface Failure {
  httpStatus: number;
  reason: string | number;
  message: string;
}

/** Anything the simulator did not mean to throw. */
export const INTERNAL_FAILURE: Failure = {
  httpStatus: 500,
  reason: 'XX',
  message: 'Internal error of the simulator',
};

/** The failure an endpoint's error stands for: a validation problem, a refusal, or an internal error. */
export function failureOf(error: unknown): Failure {
  if (error instanceof PlacetoPayValidationError) {
    return {
      httpStatus: 400,
      reason: 'request_not_valid',
      message: error.problems.map((p) => `${p.field} ${p.message}`).join('; '),
    };
  }
  if (error instanceof GatewayRefusal) {
    return { httpStatus: error.httpStatus, reason: error.reason, message: error.message };
  }
  return INTERNAL_FAILURE;
}
