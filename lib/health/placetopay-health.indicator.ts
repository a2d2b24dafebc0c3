import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PLACETOPAY_CLOCK, systemPlacetoPayClock, type PlacetoPayClock } from '../common/clock';
import { PlacetoPayConfigError } from '../config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { GATEWAY_CHECK_REQUEST_ID, checkGateway, type GatewayVerdict } from './gateway-check';
import {
  DEFAULT_HEALTH_CACHE_TTL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  PLACETOPAY_HEALTH_INDICATOR_SERVICE,
  PLACETOPAY_HEALTH_OPTIONS,
  type PlacetoPayHealthOptions,
} from './placetopay-health-options';
import type { HealthIndicatorServiceLike } from './terminus-loader';

/** The session the readiness check asks for (see `checkGateway`). */
export const HEALTH_PROBE_REQUEST_ID = GATEWAY_CHECK_REQUEST_ID;

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
  | { gateway: 'unreachable'; reason: string; latencyMs: number }
  /** The liveness form (`isLive`): PlacetoPay was not asked. */
  | { gateway: 'not-checked' };

/** The same shape as terminus's `HealthIndicatorResult` (without importing terminus). */
export type PlacetoPayHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down' } & PlacetoPayHealthDetails
>;

/**
 * A `@nestjs/terminus` health indicator in two forms. Readiness (`isHealthy`, alias `isReady`):
 * one authenticated session query, with a short deadline and no retry, whose answer is reused for
 * `cacheTtlMs` (60 s by default). Up when PlacetoPay answers it; down when the credentials are
 * refused (with the auth code and its hint, never a secret) or when no usable answer comes
 * (timeout, network error, 5xx, 429, a body that is not PlacetoPay's). Liveness (`isLive`): never
 * calls PlacetoPay, so a gateway outage never restarts the process.
 */
@Injectable()
export class PlacetoPayHealthIndicator implements OnModuleInit {
  private readonly logger = new Logger('PlacetoPayHealth');
  private gateway?: ResolvedPlacetoPayOptions;
  private clock: PlacetoPayClock = systemPlacetoPayClock;
  private lastStatus?: 'up' | 'down';
  private cached?: { details: PlacetoPayHealthDetails; atMs: number };
  private running?: Promise<PlacetoPayHealthDetails>;

  constructor(
    private readonly http: HttpService,
    private readonly moduleRef: ModuleRef,
    @Inject(PLACETOPAY_HEALTH_OPTIONS) private readonly options: PlacetoPayHealthOptions,
    @Inject(PLACETOPAY_HEALTH_INDICATOR_SERVICE)
    private readonly indicators: HealthIndicatorServiceLike,
  ) {}

  onModuleInit(): void {
    this.gatewayOptions();
    try {
      this.clock = this.moduleRef.get<PlacetoPayClock>(PLACETOPAY_CLOCK, { strict: false });
    } catch {
      this.clock = systemPlacetoPayClock;
    }
  }

  /**
   * Readiness: asks PlacetoPay, or reuses the answer of the last `cacheTtlMs`. Concurrent calls
   * share one gateway call.
   */
  async isHealthy<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
    options: PlacetoPayHealthOptions = {},
  ): Promise<PlacetoPayHealthResult<Key>> {
    checkHealthOptions(options);
    const details = await this.readiness(options);
    const session = this.indicators.check(key);
    const up = details.gateway === 'reachable' && details.credentials === 'accepted';
    return (up ? session.up(details) : session.down(details)) as PlacetoPayHealthResult<Key>;
  }

  /** The readiness form: the same as `isHealthy`. */
  isReady<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
    options: PlacetoPayHealthOptions = {},
  ): Promise<PlacetoPayHealthResult<Key>> {
    return this.isHealthy(key, options);
  }

  /**
   * Liveness: up once the module is configured; never calls PlacetoPay (an unreachable gateway
   * is a readiness matter, not a reason to restart the process).
   */
  async isLive<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
  ): Promise<PlacetoPayHealthResult<Key>> {
    this.gatewayOptions();
    const details: PlacetoPayHealthDetails = { gateway: 'not-checked' };
    return this.indicators.check(key).up(details) as PlacetoPayHealthResult<Key>;
  }

  private readiness(options: PlacetoPayHealthOptions): Promise<PlacetoPayHealthDetails> {
    const ttlMs = options.cacheTtlMs ?? this.options.cacheTtlMs ?? DEFAULT_HEALTH_CACHE_TTL_MS;
    if (this.cached && this.clock.now().getTime() - this.cached.atMs < ttlMs) {
      return Promise.resolve(this.cached.details);
    }
    this.running ??= this.ask(options).finally(() => (this.running = undefined));
    return this.running;
  }

  private async ask(options: PlacetoPayHealthOptions): Promise<PlacetoPayHealthDetails> {
    const gateway = this.gatewayOptions();
    const timeoutMs =
      options.timeoutMs ??
      this.options.timeoutMs ??
      Math.min(DEFAULT_HEALTH_TIMEOUT_MS, gateway.timeoutMs);
    const details = toDetails(await checkGateway(this.http, gateway, timeoutMs));
    this.cached = { details, atMs: this.clock.now().getTime() };
    const up = details.gateway === 'reachable' && details.credentials === 'accepted';
    this.report(up ? 'up' : 'down', details);
    return details;
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

/** Refuses a deadline that is not a positive integer, or a cache TTL that is not a whole number. */
export function checkHealthOptions(options: PlacetoPayHealthOptions): void {
  const { timeoutMs, cacheTtlMs } = options;
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new PlacetoPayConfigError([
      { option: 'PlacetoPayHealthModule timeoutMs', message: 'must be a positive integer' },
    ]);
  }
  if (cacheTtlMs !== undefined && !(Number.isInteger(cacheTtlMs) && cacheTtlMs >= 0)) {
    throw new PlacetoPayConfigError([
      {
        option: 'PlacetoPayHealthModule cacheTtlMs',
        message: 'must be a whole number of milliseconds (0 turns the cache off)',
      },
    ]);
  }
}

function toDetails(verdict: GatewayVerdict): PlacetoPayHealthDetails {
  const { latencyMs } = verdict;
  switch (verdict.outcome) {
    case 'accepted':
      return { gateway: 'reachable', credentials: 'accepted', latencyMs };
    case 'refused': {
      const { authCode, reason } = verdict;
      return { gateway: 'reachable', credentials: 'refused', authCode, reason, latencyMs };
    }
    case 'wrong-url':
    case 'unreachable':
      return { gateway: 'unreachable', reason: verdict.reason, latencyMs };
  }
}
