import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { PlacetoPayConfigError } from '../config/placetopay-config.error';
import { DEFAULT_SITE, isDefaultSite, siteScoped } from '../config/site-name';
import { GATEWAY_CHECK_REQUEST_ID, checkGateway, type GatewayVerdict } from './gateway-check';
import {
  DEFAULT_HEALTH_CACHE_TTL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  PLACETOPAY_HEALTH_INDICATOR_SERVICE,
  PLACETOPAY_HEALTH_OPTIONS,
  type PlacetoPayHealthOptions,
} from './placetopay-health-options';
import { SiteGateways } from './site-gateways';
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

/** The key a site's check reports under: `placetopay`, or `placetopay:<name>` for a named site. */
export type PlacetoPaySiteHealthKey<Site extends string> = Site extends typeof DEFAULT_SITE
  ? 'placetopay'
  : `placetopay:${Site}`;

/** One site's checks (`PlacetoPayHealthIndicator.forSite`), reporting under the site's key. */
export interface PlacetoPaySiteHealth<DefaultKey extends string> {
  /** The site checked: its registration's `name`, `default` for the unnamed one. */
  readonly site: string;
  isHealthy<const Key extends string = DefaultKey>(
    key?: Key,
    options?: PlacetoPayHealthOptions,
  ): Promise<PlacetoPayHealthResult<Key>>;
  isReady<const Key extends string = DefaultKey>(
    key?: Key,
    options?: PlacetoPayHealthOptions,
  ): Promise<PlacetoPayHealthResult<Key>>;
  isLive<const Key extends string = DefaultKey>(key?: Key): Promise<PlacetoPayHealthResult<Key>>;
}

/** A site's last answer and the check under way, if any: one cache per site. */
interface SiteState {
  /** `PlacetoPayHealth`, or `PlacetoPayHealth:<site>` for a named site. */
  logger: Logger;
  lastStatus?: 'up' | 'down';
  cached?: { details: PlacetoPayHealthDetails; atMs: number };
  running?: Promise<PlacetoPayHealthDetails>;
}

/**
 * A `@nestjs/terminus` health indicator in two forms. Readiness (`isHealthy`, alias `isReady`):
 * one authenticated session query, with a short deadline and no retry, whose answer is reused for
 * `cacheTtlMs` (60 s by default). Up when PlacetoPay answers it; down when the credentials are
 * refused (with the auth code and its hint, never a secret) or when no usable answer comes
 * (timeout, network error, 5xx, 429, a body that is not PlacetoPay's). Liveness (`isLive`): never
 * calls PlacetoPay, so a gateway outage never restarts the process.
 *
 * Its own methods check the default (unnamed) site. `forSite('co')` checks the site registered as
 * `PlacetoPayModule.forRoot({ name: 'co' })`, with its own options, cache and log lines, under the
 * key `placetopay:co`: one site's gateway being down never shows another site down (docs/sites.md).
 */
@Injectable()
export class PlacetoPayHealthIndicator implements OnModuleInit {
  private readonly states = new Map<string, SiteState>();

  constructor(
    private readonly http: HttpService,
    private readonly gateways: SiteGateways,
    @Inject(PLACETOPAY_HEALTH_OPTIONS) private readonly options: PlacetoPayHealthOptions,
    @Inject(PLACETOPAY_HEALTH_INDICATOR_SERVICE)
    private readonly indicators: HealthIndicatorServiceLike,
  ) {}

  onModuleInit(): void {
    // Start-up stops when the application registers no PlacetoPayModule at all.
    this.gateways.requireAny();
  }

  /**
   * The checks of one site: the `name` of its `PlacetoPayModule` registration (`default`, or no
   * argument, for the unnamed one). A name the application does not register throws a
   * PlacetoPayConfigError listing the registered ones.
   */
  forSite<const Site extends string = typeof DEFAULT_SITE>(
    site: Site = DEFAULT_SITE as Site,
  ): PlacetoPaySiteHealth<PlacetoPaySiteHealthKey<Site>> {
    this.gateways.get(site);
    const key = (isDefaultSite(site) ? 'placetopay' : `placetopay:${site}`) as string;
    return {
      site,
      isHealthy: (given?: string, options: PlacetoPayHealthOptions = {}) =>
        this.readinessOf(site, given ?? key, options),
      isReady: (given?: string, options: PlacetoPayHealthOptions = {}) =>
        this.readinessOf(site, given ?? key, options),
      isLive: (given?: string) => this.livenessOf(site, given ?? key),
    } as PlacetoPaySiteHealth<PlacetoPaySiteHealthKey<Site>>;
  }

  /**
   * Readiness of the default site: asks PlacetoPay, or reuses the answer of the last
   * `cacheTtlMs`. Concurrent calls share one gateway call.
   */
  isHealthy<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
    options: PlacetoPayHealthOptions = {},
  ): Promise<PlacetoPayHealthResult<Key>> {
    return this.readinessOf(DEFAULT_SITE, key, options);
  }

  /** The readiness form: the same as `isHealthy`. */
  isReady<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
    options: PlacetoPayHealthOptions = {},
  ): Promise<PlacetoPayHealthResult<Key>> {
    return this.isHealthy(key, options);
  }

  /**
   * Liveness of the default site: up once the module is configured; never calls PlacetoPay (an
   * unreachable gateway is a readiness matter, not a reason to restart the process).
   */
  isLive<const Key extends string = 'placetopay'>(
    key: Key = 'placetopay' as Key,
  ): Promise<PlacetoPayHealthResult<Key>> {
    return this.livenessOf(DEFAULT_SITE, key);
  }

  private async readinessOf<Key extends string>(
    site: string,
    key: Key,
    options: PlacetoPayHealthOptions,
  ): Promise<PlacetoPayHealthResult<Key>> {
    checkHealthOptions(options);
    const details = await this.readiness(site, options);
    const session = this.indicators.check(key);
    const up = details.gateway === 'reachable' && details.credentials === 'accepted';
    return (up ? session.up(details) : session.down(details)) as PlacetoPayHealthResult<Key>;
  }

  private async livenessOf<Key extends string>(
    site: string,
    key: Key,
  ): Promise<PlacetoPayHealthResult<Key>> {
    this.gateways.get(site);
    const details: PlacetoPayHealthDetails = { gateway: 'not-checked' };
    return this.indicators.check(key).up(details) as PlacetoPayHealthResult<Key>;
  }

  private readiness(
    site: string,
    options: PlacetoPayHealthOptions,
  ): Promise<PlacetoPayHealthDetails> {
    const { clock } = this.gateways.get(site);
    const state = this.stateOf(site);
    const ttlMs = options.cacheTtlMs ?? this.options.cacheTtlMs ?? DEFAULT_HEALTH_CACHE_TTL_MS;
    if (state.cached && clock.now().getTime() - state.cached.atMs < ttlMs) {
      return Promise.resolve(state.cached.details);
    }
    state.running ??= this.ask(site, state, options).finally(() => (state.running = undefined));
    return state.running;
  }

  private async ask(
    site: string,
    state: SiteState,
    options: PlacetoPayHealthOptions,
  ): Promise<PlacetoPayHealthDetails> {
    const { options: gateway, clock } = this.gateways.get(site);
    const timeoutMs =
      options.timeoutMs ??
      this.options.timeoutMs ??
      Math.min(DEFAULT_HEALTH_TIMEOUT_MS, gateway.timeoutMs);
    const details = toDetails(await checkGateway(this.http, gateway, timeoutMs));
    state.cached = { details, atMs: clock.now().getTime() };
    const up = details.gateway === 'reachable' && details.credentials === 'accepted';
    this.report(state, up ? 'up' : 'down', details);
    return details;
  }

  private stateOf(site: string): SiteState {
    let state = this.states.get(site);
    if (!state) {
      state = { logger: new Logger(siteScoped('PlacetoPayHealth', site)) };
      this.states.set(site, state);
    }
    return state;
  }

  /** Logs changes only: a health endpoint is polled often. */
  private report(state: SiteState, status: 'up' | 'down', details: PlacetoPayHealthDetails): void {
    if (status === state.lastStatus) return;
    const first = state.lastStatus === undefined;
    state.lastStatus = status;
    if (status === 'down') {
      state.logger.warn(`PlacetoPay is down: ${'reason' in details ? details.reason : 'unknown'}`);
    } else if (!first) {
      state.logger.log('PlacetoPay is up again');
    }
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
