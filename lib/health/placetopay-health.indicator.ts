import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PlacetoPayConfigError } from '../config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PlacetoPayAuthenticationError } from '../gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from '../gateway/errors/placetopay-unavailable.error';
import { errorMessage } from '../gateway/errors/describe-thrown';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import {
  DEFAULT_HEALTH_TIMEOUT_MS,
  PLACETOPAY_HEALTH_INDICATOR_SERVICE,
  PLACETOPAY_HEALTH_OPTIONS,
  type PlacetoPayHealthOptions,
} from './placetopay-health-options';
import type { HealthIndicatorServiceLike } from './terminus-loader';

/**
 * The session the check asks for. Whatever PlacetoPay answers about it (the session, "it does not
 * exist", "it is not yours") comes after the credentials were accepted.
 */
export const HEALTH_PROBE_REQUEST_ID = 1;

/** What the check reports under its key, besides terminus's `status`. */
export type PlacetoPayHealthDetails =
  | { gateway: 'reachable'; credentials: 'accepted'; latencyMs: number }
  | {
      gateway: 'reachable';
      credentials: 'refused';
      /** PlacetoPay's authentication cause code (100-107), null when it gave none. */
      authCode: number | null;
      reason: string;
      latencyMs: number;
    }
  | { gateway: 'unreachable'; reason: string; latencyMs: number };

/** The same shape as terminus's `HealthIndicatorResult` (without importing terminus). */
export type PlacetoPayHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down' } & PlacetoPayHealthDetails
>;

/**
 * A `@nestjs/terminus` health indicator: one authenticated session query, with a short deadline
 * and no retry. Up when PlacetoPay answers it; down when the credentials are refused (with the
 * auth code and its hint, never a secret) or when no usable answer comes (timeout, network
 * error, 5xx, 429, a body that is not PlacetoPay's).
 */
@Injectable()
export class PlacetoPayHealthIndicator implements OnModuleInit {
  private readonly logger = new Logger('PlacetoPayHealth');
  private gateway?: ResolvedPlacetoPayOptions;
  private lastStatus?: 'up' | 'down';

  constructor(
    private readonly http: HttpService,
    private readonly moduleRef: ModuleRef,
    @Inject(PLACETOPAY_HEALTH_OPTIONS) private readonly options: PlacetoPayHealthOptions,
    @Inject(PLACETOPAY_HEALTH_INDICATOR_SERVICE)
    private readonly indicators: HealthIndicatorServiceLike,
  ) {}

  onModuleInit(): void {
    this.gatewayOptions();
  }

  async isHealthy<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
    options: PlacetoPayHealthOptions = {},
  ): Promise<PlacetoPayHealthResult<Key>> {
    checkHealthTimeout(options.timeoutMs);
    const gateway = this.gatewayOptions();
    const timeoutMs =
      options.timeoutMs ??
      this.options.timeoutMs ??
      Math.min(DEFAULT_HEALTH_TIMEOUT_MS, gateway.timeoutMs);
    // A client of its own: one attempt (no retry) and the check's deadline. The options are
    // layered over the module's, not copied: the secret key stays a non-enumerable property.
    const settings = Object.create(gateway, {
      timeoutMs: { value: timeoutMs },
      queryAttempts: { value: 1 },
    }) as ResolvedPlacetoPayOptions;
    const client = new PlacetoPayClient(this.http, settings);
    const session = this.indicators.check(key);
    const started = performance.now();
    let details: PlacetoPayHealthDetails;
    try {
      await client.getSession(HEALTH_PROBE_REQUEST_ID);
      details = reachable(started);
    } catch (error) {
      details = judge(error, timeoutMs, started);
    }
    const up = details.gateway === 'reachable' && details.credentials === 'accepted';
    this.report(up ? 'up' : 'down', details);
    return (up ? session.up(details) : session.down(details)) as PlacetoPayHealthResult<Key>;
  }

  /** Logs changes only: a health endpoint is polled often. */
  private report(status: 'up' | 'down', details: PlacetoPayHealthDetails): void {
    if (status === this.lastStatus) return;
    const first = this.lastStatus === undefined;
    this.lastStatus = status;
    if (status === 'down') {
      this.logger.warn(`PlacetoPay is down: ${'reason' in details ? details.reason : 'unknown'}`);
    } else if (!first) {
      this.logger.log('PlacetoPay is up again');
    }
  }

  private gatewayOptions(): ResolvedPlacetoPayOptions {
    if (this.gateway) return this.gateway;
    try {
      this.gateway = this.moduleRef.get<ResolvedPlacetoPayOptions>(PLACETOPAY_OPTIONS, {
        strict: false,
      });
    } catch {
      throw new PlacetoPayConfigError([
        {
          option: 'PlacetoPayHealthModule',
          message:
            'needs PlacetoPayModule: import PlacetoPayModule.forRoot() or forRootAsync() in the application',
        },
      ]);
    }
    return this.gateway;
  }
}

/** Refuses a deadline that is not a positive integer of milliseconds. */
export function checkHealthTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs === undefined || (Number.isInteger(timeoutMs) && timeoutMs > 0)) return;
  throw new PlacetoPayConfigError([
    { option: 'PlacetoPayHealthModule timeoutMs', message: 'must be a positive integer' },
  ]);
}

function latency(started: number): number {
  return Math.round(performance.now() - started);
}

function reachable(started: number): PlacetoPayHealthDetails {
  return { gateway: 'reachable', credentials: 'accepted', latencyMs: latency(started) };
}

/** Turns the probe's failure into the report. Messages are the typed errors': no secret. */
function judge(error: unknown, timeoutMs: number, started: number): PlacetoPayHealthDetails {
  const latencyMs = latency(started);
  if (error instanceof PlacetoPayAuthenticationError) {
    return {
      gateway: 'reachable',
      credentials: 'refused',
      authCode: error.authCode ?? null,
      reason: `authentication failed${error.authCode ? ` (${error.authCode})` : ''}: ${error.hint}`,
      latencyMs,
    };
  }
  if (error instanceof PlacetoPayRequestRejectedError) {
    // "Page not found" comes before authentication: the base URL does not lead to the API.
    if (String(error.reason) === 'NA') {
      return {
        gateway: 'unreachable',
        reason: `PlacetoPay answered "${error.gatewayMessage ?? 'Page not found'}" (HTTP ${error.httpStatus}): is baseUrl right?`,
        latencyMs,
      };
    }
    // "No such session" / "not your session": an authenticated answer.
    return { gateway: 'reachable', credentials: 'accepted', latencyMs };
  }
  if (error instanceof PlacetoPayUnavailableError) {
    return { gateway: 'unreachable', reason: unavailableReason(error, timeoutMs), latencyMs };
  }
  return { gateway: 'unreachable', reason: errorMessage(error), latencyMs };
}

function unavailableReason(error: PlacetoPayUnavailableError, timeoutMs: number): string {
  switch (error.kind) {
    case 'timeout':
      return `timeout: no complete answer within ${timeoutMs} ms`;
    case 'server_error':
      return `server error: PlacetoPay answered HTTP ${error.httpStatus}`;
    case 'rate_limited':
      return 'rate limited: PlacetoPay answered HTTP 429';
    case 'malformed_response':
      return `malformed response: HTTP ${error.httpStatus ?? '?'} with a body that is not a PlacetoPay answer (is baseUrl right?)`;
    case 'network': {
      // The client wraps the attempt's message ("gave up after 1 attempt; last: ..."): keep the cause.
      const last = error.message.split('; last: ').pop() ?? error.message;
      const cause = /unavailable \(network\): (.*?)(?:; the request (?:may have|did not).*)?$/.exec(
        last,
      );
      return `network error: ${cause?.[1] ?? last}`;
    }
  }
}
