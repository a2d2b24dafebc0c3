import type {
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';

export type PlacetoPayHashAlgorithm = 'sha256' | 'sha1';

/**
 * What the host passes to `forRoot` / returns from `forRootAsync`. Every option left out is read
 * from its environment variable (see `PLACETOPAY_ENVIRONMENT_VARIABLES`), then falls back to its
 * default.
 */
export interface PlacetoPayModuleOptions {
  /** Site login (1-32 characters). `PLACETOPAY_LOGIN`. */
  login?: string;
  /** Site secret key. `PLACETOPAY_SECRET_KEY`. Never logged. */
  secretKey?: string;
  /** Gateway base URL, e.g. `https://checkout-test.placetopay.com`. `PLACETOPAY_BASE_URL`. */
  baseUrl?: string;
  /** Hard deadline of one HTTP call in milliseconds. `PLACETOPAY_TIMEOUT_MS`, default 15000. */
  timeoutMs?: number;
  /** Attempts of a session query before giving up. `PLACETOPAY_QUERY_ATTEMPTS`, default 3. */
  queryAttempts?: number;
  /** First backoff delay between query attempts. `PLACETOPAY_RETRY_BASE_DELAY_MS`, default 250. */
  retryBaseDelayMs?: number;
  /** Largest backoff delay. `PLACETOPAY_RETRY_MAX_DELAY_MS`, default 5000. */
  retryMaxDelayMs?: number;
  /** Default `locale` of requests that do not set one (`es_CO`, `en_US`). `PLACETOPAY_LOCALE`. */
  locale?: string;
  /** Digest of the `auth.tranKey`: `sha256` (default) or legacy `sha1`. `PLACETOPAY_AUTH_ALGORITHM`. */
  authAlgorithm?: PlacetoPayHashAlgorithm;
  /** Milliseconds added to the local clock when building the auth seed. `PLACETOPAY_CLOCK_OFFSET_MS`. */
  clockOffsetMs?: number;
  /**
   * Let `createPayment` take a reference that already has an approved or pending payment.
   * `PLACETOPAY_ALLOW_DUPLICATE_REFERENCES`, default false.
   */
  allowDuplicateReferences?: boolean;
  /** Attempts of one (event, listener) delivery before it is dead-lettered. `PLACETOPAY_EVENT_MAX_ATTEMPTS`, default 10. */
  eventMaxAttempts?: number;
  /** First retry delay of a failed delivery. `PLACETOPAY_EVENT_RETRY_BASE_DELAY_MS`, default 1000. */
  eventRetryBaseDelayMs?: number;
  /** Largest retry delay of a failed delivery. `PLACETOPAY_EVENT_RETRY_MAX_DELAY_MS`, default 3600000. */
  eventRetryMaxDelayMs?: number;
  /** How long a replica owns a delivery it runs. `PLACETOPAY_EVENT_LEASE_MS`, default 60000. */
  eventLeaseMs?: number;
  /**
   * How often each replica looks for due deliveries, notifications to settle and recurring-charge
   * events to write; 0 turns polling off. `PLACETOPAY_EVENT_POLL_MS`, default 2000.
   */
  eventPollMs?: number;
  /** Accept notifications signed with legacy SHA-1. `PLACETOPAY_ALLOW_LEGACY_SHA1`, default true. */
  allowLegacySha1?: boolean;
  /**
   * Settle a notification by querying its session (default). When false, notifications are only
   * recorded and the probe or the return URL settles the payment. `PLACETOPAY_NOTIFICATION_QUERY`.
   */
  notificationQuery?: boolean;
  /**
   * Run the probe on a schedule (needs `ScheduleModule.forRoot()` in the host).
   * `PLACETOPAY_PROBE_ENABLED`, default true.
   */
  probeEnabled?: boolean;
  /** When the probe runs (cron syntax). `PLACETOPAY_PROBE_CRON`, default every minute. */
  probeCron?: string;
  /** First check of a session after its creation. `PLACETOPAY_PROBE_FIRST_CHECK_MS`, default 7 minutes. */
  probeFirstCheckMs?: number;
  /**
   * Time between checks of a session still open; it doubles with each check after the session's
   * expiration (up to 6 hours). `PLACETOPAY_PROBE_INTERVAL_MS`, default 12 minutes.
   */
  probeIntervalMs?: number;
  /** Payments claimed (and held in memory) at once by a pass. `PLACETOPAY_PROBE_BATCH_SIZE`, default 50. */
  probeBatchSize?: number;
  /** Session queries in flight at once per process. `PLACETOPAY_PROBE_CONCURRENCY`, default 10. */
  probeConcurrency?: number;
  /** How long a replica owns the payments it claimed. `PLACETOPAY_PROBE_LEASE_MS`, default 5 minutes. */
  probeLeaseMs?: number;
  /**
   * Age after which an open payment stops being checked: it keeps its status, is flagged for
   * review and `payment.unresolved` fires. `PLACETOPAY_PROBE_GIVE_UP_MS`, default 7 days.
   */
  probeGiveUpMs?: number;
  /**
   * The key that encrypts stored payment-method tokens at rest (AES-256-GCM): 32 random bytes as
   * 64 hex characters or base64. Without it, tokens are never stored and `createSubscription`,
   * `payment.subscribe` and `chargeInstrument` refuse. `PLACETOPAY_INSTRUMENT_KEY`. Never logged.
   */
  instrumentKey?: string;
  /**
   * Earlier keys, still accepted to decrypt tokens stored under them (key rotation); new tokens
   * always use `instrumentKey`. `PLACETOPAY_INSTRUMENT_PREVIOUS_KEYS`, comma-separated.
   */
  instrumentPreviousKeys?: string[];
}

/** The validated configuration every provider of the module reads. */
export interface ResolvedPlacetoPayOptions {
  login: string;
  secretKey: string;
  baseUrl: string;
  timeoutMs: number;
  queryAttempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  locale?: string;
  authAlgorithm: PlacetoPayHashAlgorithm;
  clockOffsetMs: number;
  allowDuplicateReferences: boolean;
  eventMaxAttempts: number;
  eventRetryBaseDelayMs: number;
  eventRetryMaxDelayMs: number;
  eventLeaseMs: number;
  eventPollMs: number;
  allowLegacySha1: boolean;
  notificationQuery: boolean;
  probeEnabled: boolean;
  probeCron: string;
  probeFirstCheckMs: number;
  probeIntervalMs: number;
  probeBatchSize: number;
  probeConcurrency: number;
  probeLeaseMs: number;
  probeGiveUpMs: number;
  instrumentKey?: string;
  instrumentPreviousKeys: string[];
}

/** Module-level settings that must be known synchronously (they shape the module itself). */
/** The notification route. Read when `forRoot` / `forRootAsync` is called, never asynchronously. */
export interface PlacetoPayWebhookOptions {
  /** Register the controller. `PLACETOPAY_WEBHOOK_ENABLED`, default true. */
  enabled?: boolean;
  /** Route path. `PLACETOPAY_WEBHOOK_PATH`, default `placetopay/notification`. */
  path?: string;
  /**
   * Your own decorators for the route, e.g. `[Public(), SkipThrottle()]`: global guards and
   * throttlers run on it too, and a 401 or 429 there loses the notification for good.
   */
  decorators?: MethodDecorator[];
  /**
   * Path of the route for recurring-charge notifications (the `payment.recurring.notificationUrl`
   * you send). `PLACETOPAY_RECURRING_WEBHOOK_PATH`, default `placetopay/recurring-notification`.
   * It is registered and turned off together with the notification route.
   */
  recurringPath?: string;
}

export interface PlacetoPayModuleExtras {
  /** Register the module globally. */
  isGlobal?: boolean;
  webhook?: PlacetoPayWebhookOptions;
  /**
   * Register only the gateway client: no entities, no PlacetoPayService, no TypeORM needed.
   * Default false.
   */
  clientOnly?: boolean;
}

export type PlacetoPayForRootOptions = PlacetoPayModuleOptions & PlacetoPayModuleExtras;

export interface PlacetoPayOptionsFactory {
  createPlacetoPayOptions(): Promise<PlacetoPayModuleOptions> | PlacetoPayModuleOptions;
}

export interface PlacetoPayModuleAsyncOptions
  extends Pick<ModuleMetadata, 'imports'>, PlacetoPayModuleExtras {
  useFactory?: (
    ...args: any[] // eslint-disable-line @typescript-eslint/no-explicit-any
  ) => Promise<PlacetoPayModuleOptions> | PlacetoPayModuleOptions;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<PlacetoPayOptionsFactory>;
  useExisting?: Type<PlacetoPayOptionsFactory>;
}
