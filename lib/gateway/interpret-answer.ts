import type { AxiosResponse } from 'axios';
import { notPlacetoPayAnswer } from './errors/classify-failure';
import { PlacetoPayAuthenticationError } from './errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from './errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from './errors/placetopay-unavailable.error';
import type { PlacetoPayOperation } from './errors/placetopay.error';
import { MalformedResponseError, peekStatus } from './response-parsers';

/**
 * What an HTTP answer means (docs/protocol.md §10): `parse`'s result, or a typed error thrown for
 * a refused authentication, an unavailable gateway, a rejected request, or an answer that is not
 * PlacetoPay's (its hint names `baseUrlVariable`, the site's own variable).
 */
export function interpretAnswer<T>(
  operation: PlacetoPayOperation,
  response: AxiosResponse<string>,
  parse: (body: unknown) => T,
  baseUrlVariable: string,
): T {
  const httpStatus = response.status;
  let json: unknown;
  let parsed = false;
  try {
    json = JSON.parse(typeof response.data === 'string' ? response.data : '');
    parsed = true;
  } catch {
    parsed = false;
  }
  const status = parsed ? peekStatus(json) : null;

  if (httpStatus === 401 || status?.reason === 401 || status?.reason === '401') {
    const match = /(\d{3,5})\D*$/.exec(status?.message ?? '');
    throw new PlacetoPayAuthenticationError(
      operation,
      match ? Number(match[1]) : undefined,
      status?.message ?? undefined,
    );
  }
  if (httpStatus === 429 || httpStatus >= 500) {
    throw new PlacetoPayUnavailableError(
      operation,
      httpStatus === 429 ? 'rate_limited' : 'server_error',
      status?.message ?? 'PlacetoPay answered with an error status',
      true,
      httpStatus,
      1,
      retryAfterMs(response.headers?.['retry-after']),
    );
  }
  if (status?.status === 'FAILED' || (status && (httpStatus < 200 || httpStatus >= 300))) {
    throw new PlacetoPayRequestRejectedError(operation, status.reason, status.message, httpStatus);
  }
  if (!parsed || httpStatus < 200 || httpStatus >= 300) {
    const body = typeof response.data === 'string' ? response.data : '';
    const contentType = response.headers?.['content-type'];
    // Not PlacetoPay's answer at all: it never acted on the request (docs/protocol.md §10).
    const foreign = notPlacetoPayAnswer(
      operation,
      httpStatus,
      contentType,
      body,
      parsed,
      baseUrlVariable,
    );
    throw (
      foreign ??
      new PlacetoPayUnavailableError(
        operation,
        'malformed_response',
        `HTTP ${httpStatus} with a body that is not a PlacetoPay answer (is ${baseUrlVariable} right?)`,
        true,
        httpStatus,
      )
    );
  }
  try {
    return parse(json);
  } catch (error) {
    if (!(error instanceof MalformedResponseError)) throw error;
    throw new PlacetoPayUnavailableError(
      operation,
      'malformed_response',
      error.message,
      true,
      httpStatus,
    );
  }
}

function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== 'string' || !/^\d{1,5}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}
