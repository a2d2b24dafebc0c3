import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom } from 'rxjs';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE, environmentPrefixOf } from '../config/site-name';
import { createAuth } from './authentication';
import { transportFailure } from './errors/classify-failure';
import { interpretAnswer } from './interpret-answer';
import { PlacetoPayUnavailableError } from './errors/placetopay-unavailable.error';
import type { PlacetoPayOperation } from './errors/placetopay.error';
import { noteHttpStatus, observeGatewayCall } from './gateway-telemetry';
import {
  parseCancelSessionResponse,
  parseCreateSessionResponse,
  parseInvalidateTokenResponse,
  parseRedirectInformation,
  parseTransactionActionResponse,
} from './response-parsers';
import { backoffDelay, isRetryable } from './retry-policy';
import {
  validateCollectRequest,
  validateCreateSessionRequest,
  validateIdentifier,
  validateInvalidateTokenRequest,
  validateTransactionActionRequest,
} from './validation/request.validation';
import type {
  CollectRequest,
  CreateSessionRequest,
  InvalidateTokenRequest,
  TransactionActionRequest,
} from './wire/requests.types';
import type {
  CancelSessionResponse,
  CreateSessionResponse,
  InvalidateTokenResponse,
  RedirectInformation,
  ReverseResponse,
  TransactionActionResponse,
} from './wire/responses.types';
import { systemPlacetoPayClock } from '../common/clock';

const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * A requestId no session has: PlacetoPay numbers sessions with positive integers counting up from
 * 1, so 0 is never assigned, to any site (docs/protocol.md §4.2).
 */
export const UNASSIGNED_REQUEST_ID = 0;

/**
 * PlacetoPay WebCheckout's wire protocol (docs/protocol.md §4). Validates every request before sending it,
 * adds a fresh auth block per attempt, enforces a hard deadline per call, retries only session
 * queries, and turns every failure into a typed error that is safe to log.
 */
@Injectable()
export class PlacetoPayClient {
  private readonly logger = new Logger(PlacetoPayClient.name);

  constructor(
    private readonly http: HttpService,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  /** The variable hints name: the site's own (`PLACETOPAY_CO_BASE_URL` for site `co`). */
  private get baseUrlVariable(): string {
    return `${environmentPrefixOf(this.options.site ?? DEFAULT_SITE)}BASE_URL`;
  }

  /** Creates a checkout session. Never retried: PlacetoPay has no idempotency key for it. */
  async createSession(request: CreateSessionRequest): Promise<CreateSessionResponse> {
    validateCreateSessionRequest(request, this.now());
    return this.call(
      'createSession',
      '/api/session',
      this.withLocale(request),
      parseCreateSessionResponse,
    );
  }

  /** Queries a session; retried with backoff on timeouts, network errors, 429 and 5xx. */
  async getSession(requestId: number | string): Promise<RedirectInformation> {
    const id = validateIdentifier('getSession', 'requestId', requestId);
    return this.callWithRetry('getSession', `/api/session/${id}`, {}, (body) =>
      parseRedirectInformation(body, id),
    );
  }

  /**
   * Queries session UNASSIGNED_REQUEST_ID (which `getSession` refuses as invalid): an authenticated
   * call that can read nobody's session. PlacetoPay answers it only past authentication (404 "the
   * session does not exist"), so any answer but a 401 proves the credentials.
   */
  async queryUnassignedSession(): Promise<RedirectInformation> {
    return this.callWithRetry('getSession', `/api/session/${UNASSIGNED_REQUEST_ID}`, {}, (body) =>
      parseRedirectInformation(body, UNASSIGNED_REQUEST_ID),
    );
  }

  /** Cancels a pending session (it becomes REJECTED with reason MC). */
  async cancelSession(requestId: number | string): Promise<CancelSessionResponse> {
    const id = validateIdentifier('cancelSession', 'requestId', requestId);
    return this.call('cancelSession', `/api/session/${id}/cancel`, {}, (body) =>
      parseCancelSessionResponse(body, id),
    );
  }

  /** Charges a stored token. Never retried; PlacetoPay dedupes reference+amount for 24 hours. */
  async collect(request: CollectRequest): Promise<RedirectInformation> {
    validateCollectRequest(request, this.now());
    return this.call('collect', '/api/collect', this.withLocale(request), (body) =>
      parseRedirectInformation(body),
    );
  }

  /** checkout / reauthorization / reverse / confirm / cancel on a transaction. Never retried. */
  async transaction(request: TransactionActionRequest): Promise<TransactionActionResponse> {
    validateTransactionActionRequest(request);
    return this.call(
      'transaction',
      '/api/transaction',
      this.withLocale(request),
      parseTransactionActionResponse,
    );
  }

  /** Legacy full reversal (`/api/reverse`). Never retried. */
  async reverse(internalReference: number | string, locale?: string): Promise<ReverseResponse> {
    const id = validateIdentifier('reverse', 'internalReference', internalReference);
    return this.call(
      'reverse',
      '/api/reverse',
      this.withLocale({ internalReference: id, locale }),
      parseTransactionActionResponse,
    );
  }

  /** Invalidates a stored token or subtoken. */
  async invalidateToken(request: InvalidateTokenRequest): Promise<InvalidateTokenResponse> {
    validateInvalidateTokenRequest(request);
    const token =
      request.token !== undefined ? { token: request.token } : { subtoken: request.subtoken };
    return this.call(
      'invalidateToken',
      '/api/instrument/invalidate',
      this.withLocale({ instrument: { token }, locale: request.locale }),
      parseInvalidateTokenResponse,
    );
  }

  /**
   * The auth seed's time: wall time plus `clockOffsetMs`. It must agree with PlacetoPay's clock
   * (docs/protocol.md §3.4), so it reads the system clock, never the injectable PLACETOPAY_CLOCK
   * that tests move to drive retries and leases.
   */
  private now(): Date {
    return new Date(systemPlacetoPayClock.now().getTime() + this.options.clockOffsetMs);
  }

  private withLocale<T extends { locale?: string }>(request: T): T {
    const locale = request.locale ?? this.options.locale;
    const body = { ...request };
    if (locale === undefined) delete body.locale;
    else body.locale = locale;
    return body;
  }

  private async callWithRetry<T>(
    operation: PlacetoPayOperation,
    path: string,
    payload: object,
    parse: (body: unknown) => T,
  ): Promise<T> {
    const attempts = this.options.queryAttempts;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(operation, path, payload, parse);
      } catch (error) {
        if (!isRetryable(error)) throw error;
        // A Retry-After longer than we may wait is respected by not retrying early.
        const tooSoon =
          error.retryAfterMs !== undefined && error.retryAfterMs > this.options.retryMaxDelayMs;
        if (attempt >= attempts || tooSoon) {
          throw new PlacetoPayUnavailableError(
            operation,
            error.kind,
            `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}; last: ${error.detail}`,
            error.mayHaveReachedGateway,
            error.httpStatus,
            attempt,
            error.retryAfterMs,
            error.hint,
          );
        }
        const delay = backoffDelay(
          attempt,
          { baseDelayMs: this.options.retryBaseDelayMs, maxDelayMs: this.options.retryMaxDelayMs },
          Math.random,
          error.retryAfterMs,
        );
        this.logger.warn(
          `${operation} attempt ${attempt}/${attempts} failed (${error.kind}${error.httpStatus ? ` HTTP ${error.httpStatus}` : ''}); retrying in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  }

  /** One attempt, measured and traced (gateway-telemetry.ts). */
  private call<T>(...call: [PlacetoPayOperation, string, object, (body: unknown) => T]) {
    return observeGatewayCall(this.options.site, call[0], () => this.attempt(...call));
  }

  /** One attempt: a fresh auth block, a hard deadline, and a typed outcome. */
  private async attempt<T>(
    operation: PlacetoPayOperation,
    path: string,
    payload: object,
    parse: (body: unknown) => T,
  ): Promise<T> {
    const { login, secretKey, authAlgorithm, timeoutMs, baseUrl } = this.options;
    const body = {
      auth: createAuth({ login, secretKey, algorithm: authAlgorithm, now: this.now() }),
      ...payload,
    };
    // Not AbortSignal.timeout(): its timer (and the request it holds) would outlive the call.
    const controller = new AbortController();
    const deadline = controller.signal;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = performance.now();
    let response: AxiosResponse<string>;
    try {
      response = await firstValueFrom(
        this.http.post<string>(`${baseUrl}${path}`, body, {
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          signal: deadline,
          timeout: timeoutMs,
          responseType: 'text',
          transformResponse: [(data: unknown) => data],
          validateStatus: () => true,
          maxRedirects: 0,
          maxContentLength: MAX_RESPONSE_BYTES,
        }),
      );
    } catch (error) {
      const failure = transportFailure(
        operation,
        error,
        deadline.aborted,
        timeoutMs,
        this.baseUrlVariable,
      );
      this.logger.debug(
        `POST ${path} failed after ${Math.round(performance.now() - started)} ms: ${failure.kind}`,
      );
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    this.logger.debug(
      `POST ${path} -> HTTP ${response.status} in ${Math.round(performance.now() - started)} ms`,
    );
    noteHttpStatus(response.status);
    try {
      return interpretAnswer(operation, response, parse, this.baseUrlVariable);
    } catch (error) {
      return this.fail(error as Error);
    }
  }

  private fail(error: Error): never {
    this.logger.debug(error.message);
    throw error;
  }
}
