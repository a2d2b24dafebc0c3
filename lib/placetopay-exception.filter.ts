import {
  Catch,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { PlacetoPayConfigError } from './config/placetopay-config.error';
import { PlacetoPayDeliveryNotFoundError } from './events/event-deliveries.service';
import { PlacetoPayAuthenticationError } from './gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from './gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from './gateway/errors/placetopay-unavailable.error';
import { PlacetoPayValidationError } from './gateway/errors/placetopay-validation.error';
import {
  PlacetoPayError,
  operationPrefix,
  type PlacetoPayGatewayOperation,
} from './gateway/errors/placetopay.error';
import { PlacetoPayInstrumentNotFoundError } from './instruments/errors/placetopay-instrument-not-found.error';
import { PlacetoPayInstrumentRevokedError } from './instruments/errors/placetopay-instrument-revoked.error';
import { TokenDecryptionError } from './instruments/token-cipher';
import { PlacetoPayDuplicatePaymentError } from './payments/errors/placetopay-duplicate-payment.error';
import { PlacetoPayPaymentNotFoundError } from './payments/errors/placetopay-payment-not-found.error';
import { PlacetoPayPaymentStateError } from './payments/errors/placetopay-payment-state.error';

type LibraryError = PlacetoPayError | PlacetoPayConfigError | TokenDecryptionError;
type ErrorClass = abstract new (...args: never[]) => LibraryError;

/** Each library error's HTTP status; the first class the error is an instance of wins. */
const STATUSES: ReadonlyArray<readonly [ErrorClass, HttpStatus]> = [
  [PlacetoPayValidationError, HttpStatus.BAD_REQUEST],
  [PlacetoPayDuplicatePaymentError, HttpStatus.CONFLICT],
  [PlacetoPayPaymentStateError, HttpStatus.CONFLICT],
  [PlacetoPayInstrumentRevokedError, HttpStatus.CONFLICT],
  [PlacetoPayPaymentNotFoundError, HttpStatus.NOT_FOUND],
  [PlacetoPayInstrumentNotFoundError, HttpStatus.NOT_FOUND],
  [PlacetoPayDeliveryNotFoundError, HttpStatus.NOT_FOUND],
  [PlacetoPayAuthenticationError, HttpStatus.BAD_GATEWAY],
  [PlacetoPayRequestRejectedError, HttpStatus.BAD_GATEWAY],
  [PlacetoPayUnavailableError, HttpStatus.SERVICE_UNAVAILABLE],
];

/** The operations that call PlacetoPay: an error of another kind on them is PlacetoPay's doing. */
const GATEWAY_OPERATIONS: ReadonlySet<string> = new Set<PlacetoPayGatewayOperation>([
  'createSession',
  'getSession',
  'cancelSession',
  'collect',
  'transaction',
  'reverse',
  'invalidateToken',
]);

const REASONS: Readonly<Partial<Record<HttpStatus, string>>> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.NOT_FOUND]: 'Not Found',
  [HttpStatus.CONFLICT]: 'Conflict',
  [HttpStatus.INTERNAL_SERVER_ERROR]: 'Internal Server Error',
  [HttpStatus.BAD_GATEWAY]: 'Bad Gateway',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

/** What a library error answers over HTTP: status, headers and a body without secret or stack. */
export interface PlacetoPayHttpAnswer {
  status: HttpStatus;
  headers: Record<string, string>;
  body: {
    statusCode: number;
    error: string;
    message: string;
    code: string;
    problems?: ReadonlyArray<{ field: string; message: string }>;
  };
}

export function httpStatusOf(error: LibraryError): HttpStatus {
  for (const [type, status] of STATUSES) if (error instanceof type) return status;
  const operation = error instanceof PlacetoPayError ? error.operation : undefined;
  return operation && GATEWAY_OPERATIONS.has(operation)
    ? HttpStatus.BAD_GATEWAY
    : HttpStatus.INTERNAL_SERVER_ERROR;
}

/** What the body says for a 5xx: the kind of failure; the details are for the server log. */
const PUBLIC_MESSAGES: Readonly<Partial<Record<HttpStatus, string>>> = {
  [HttpStatus.BAD_GATEWAY]: 'PlacetoPay refused the request (the server log says why)',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'PlacetoPay is unavailable; try again later',
  [HttpStatus.INTERNAL_SERVER_ERROR]:
    'the payment module is misconfigured or cannot read its stored data (the server log says why)',
};

/**
 * A library error as an HTTP answer. A 4xx keeps the error's message (it is about the caller's
 * request); a 5xx names the operation and the kind of failure, and leaves the details (credential
 * hints, variable names, hosts) to the server log.
 */
export function httpAnswerOf(error: LibraryError): PlacetoPayHttpAnswer {
  const status = httpStatusOf(error);
  const operation = error instanceof PlacetoPayError ? error.operation : undefined;
  const publicMessage =
    error instanceof PlacetoPayAuthenticationError
      ? "PlacetoPay refused this site's credentials (the server log says why)"
      : PUBLIC_MESSAGES[status];
  const message = publicMessage ? `${operationPrefix(operation)}${publicMessage}` : error.message;
  const headers: Record<string, string> = {};
  if (error instanceof PlacetoPayUnavailableError && error.retryAfterMs !== undefined) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  }
  return {
    status,
    headers,
    body: {
      statusCode: status,
      error: REASONS[status] ?? 'Error',
      message,
      code: error.code,
      ...(error instanceof PlacetoPayValidationError ? { problems: error.problems } : {}),
    },
  };
}

/** The parts of an Express response and a Fastify reply the filter uses. */
interface HttpResponse {
  code?: (status: number) => HttpResponse;
  status: (status: number) => HttpResponse;
  header?: (name: string, value: string) => HttpResponse;
  setHeader?: (name: string, value: string) => void;
  send: (body: unknown) => unknown;
  json?: (body: unknown) => unknown;
}

/**
 * Opt-in: answers the library's errors as HTTP (validation 400 with the field problems; not found
 * 404; duplicate reference and state conflicts 409; PlacetoPay refusing the site's credentials or
 * request 502; PlacetoPay unavailable 503 with `Retry-After` when PlacetoPay sent one). The body is
 * `{ statusCode, error, message, code }` (+ `problems`), never a secret or a stack. Other errors
 * are not caught. Works on Express and Fastify:
 *
 * `app.useGlobalFilters(new PlacetoPayExceptionFilter())`, or
 * `{ provide: APP_FILTER, useClass: PlacetoPayExceptionFilter }`.
 */
@Catch(PlacetoPayError, PlacetoPayConfigError, TokenDecryptionError)
export class PlacetoPayExceptionFilter implements ExceptionFilter<LibraryError> {
  private readonly logger = new Logger('PlacetoPayExceptionFilter');

  catch(error: LibraryError, host: ArgumentsHost): unknown {
    // GraphQL and microservice contexts get the error back, unchanged.
    if (host.getType() !== 'http') return error;
    const answer = httpAnswerOf(error);
    const line = `${error.name} (${error.code}): ${error.message}`;
    if (answer.status === HttpStatus.SERVICE_UNAVAILABLE) this.logger.warn(line);
    else if (answer.status >= 500) this.logger.error(line);
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (typeof response.code === 'function' && typeof response.header === 'function') {
      // Fastify's reply.
      response.code(answer.status);
      for (const [name, value] of Object.entries(answer.headers)) response.header(name, value);
      response.header('Content-Type', 'application/json; charset=utf-8');
      return response.send(JSON.stringify(answer.body));
    }
    response.status(answer.status);
    for (const [name, value] of Object.entries(answer.headers)) response.setHeader?.(name, value);
    return response.json ? response.json(answer.body) : response.send(answer.body);
  }
}
