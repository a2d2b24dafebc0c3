import {
  codeOnly,
  directory,
  flag,
  gatewayUrl,
  instrumentKey,
  instrumentKeys,
  oneOf,
  patterned,
  routePath,
  secretText,
  trimmedText,
  wholeNumber,
  type OptionKind,
} from './option-kinds';

/**
 * One option of the module. The option interfaces (`placetopay-options.interface.ts`), the
 * environment loader, validation, defaults and the README's configuration table all come from
 * these entries.
 */
export interface OptionEntry<T> {
  /** The variable's name after the prefix: `TIMEOUT_MS` is read as `PLACETOPAY_TIMEOUT_MS`. */
  readonly env?: string;
  readonly kind: OptionKind<T>;
  readonly default?: Readonly<T>;
  /** Start-up fails without it. */
  readonly required?: true;
  /** Never printed: hidden from JSON, inspection and spreads of the resolved options. */
  readonly secret?: true;
  /**
   * Shapes the module itself (routes, global, providers): read when `forRoot` / `forRootAsync`
   * is called, never from an async factory. A dotted name is a leaf of a nested option.
   */
  readonly module?: true;
  /** One line for the README. */
  readonly doc: string;
}

type CheckedTable<T> = {
  [K in keyof T]: T[K] extends { kind: OptionKind<infer V> } ? OptionEntry<V> : never;
};

/** Checks at compile time that every entry's default has its kind's type. */
const table = <T extends Record<string, OptionEntry<unknown>>>(entries: T & CheckedTable<T>): T =>
  entries;

const ms = (low: number, high: number, note?: string) =>
  wholeNumber(low, high, 'milliseconds', note);

export const HASH_ALGORITHMS = ['sha256', 'sha1'] as const;
export const CREDENTIAL_CHECK_MODES = ['warn', 'fail', 'off'] as const;

/** Every option, in the order of the README's configuration table. */
export const PLACETOPAY_OPTION_TABLE = table({
  login: { env: 'LOGIN', kind: trimmedText(1, 32), required: true, doc: 'Site login.' },
  secretKey: {
    env: 'SECRET_KEY',
    kind: secretText(),
    required: true,
    secret: true,
    doc: 'Site secret key (the PHP SDK calls it `tranKey`). Surrounding whitespace is trimmed.',
  },
  baseUrl: {
    env: 'BASE_URL',
    kind: gatewayUrl(),
    required: true,
    doc: '`https://checkout-test.placetopay.com` (test) or `https://checkout.placetopay.com` (production); `.ec` for Ecuador, `checkout.getnet.cl` for Chile. Must be https; plain http is accepted only for `localhost` / `127.0.0.1` / `::1` (a local simulator).',
  },
  timeoutMs: {
    env: 'TIMEOUT_MS',
    kind: ms(100, 120_000),
    default: 15_000,
    doc: 'Hard deadline of one HTTP call, body included.',
  },
  queryAttempts: {
    env: 'QUERY_ATTEMPTS',
    kind: wholeNumber(1, 10),
    default: 3,
    doc: 'Attempts of a session query before giving up.',
  },
  retryBaseDelayMs: {
    env: 'RETRY_BASE_DELAY_MS',
    kind: ms(0, 60_000),
    default: 250,
    doc: 'First backoff delay between query attempts.',
  },
  retryMaxDelayMs: {
    env: 'RETRY_MAX_DELAY_MS',
    kind: ms(0, 300_000),
    default: 5_000,
    doc: 'Largest backoff delay; also caps `Retry-After`.',
  },
  locale: {
    env: 'LOCALE',
    kind: patterned('locale', /^[a-z]{2}_[A-Z]{2}$/, 'must look like es_CO or en_US'),
    doc: "Default `locale` of requests that set none, e.g. `es_CO`, `en_US`; without it, the site's default.",
  },
  authAlgorithm: {
    env: 'AUTH_ALGORITHM',
    kind: oneOf(HASH_ALGORITHMS),
    default: 'sha256',
    doc: 'Digest of the `auth.tranKey`: `sha1` only for legacy sites.',
  },
  clockOffsetMs: {
    env: 'CLOCK_OFFSET_MS',
    kind: ms(-86_400_000, 86_400_000),
    default: 0,
    doc: 'Milliseconds added to the local clock for the auth seed. PlacetoPay refuses seeds more than 5 minutes off (code 103); fix the clock with NTP first.',
  },
  verifyCredentials: {
    env: 'VERIFY_CREDENTIALS',
    kind: oneOf(CREDENTIAL_CHECK_MODES),
    default: 'warn',
    doc: 'At start-up, one authenticated query of a session that does not exist. Refused credentials or a base URL that is not PlacetoPay: `warn` logs one error naming the variable, `fail` stops start-up with a `PlacetoPayConfigError`, `off` makes no call. An unreachable gateway only warns, in every mode.',
  },
  allowDuplicateReferences: {
    env: 'ALLOW_DUPLICATE_REFERENCES',
    kind: flag(),
    default: false,
    doc: 'Let `createPayment` take a reference that already has an approved or open payment.',
  },
  eventMaxAttempts: {
    env: 'EVENT_MAX_ATTEMPTS',
    kind: wholeNumber(1, 100),
    default: 10,
    doc: 'Attempts of one (event, listener) delivery before it is dead-lettered.',
  },
  eventRetryBaseDelayMs: {
    env: 'EVENT_RETRY_BASE_DELAY_MS',
    kind: ms(0, 3_600_000),
    default: 1_000,
    doc: 'First retry delay of a failed delivery; doubles with each attempt, with jitter.',
  },
  eventRetryMaxDelayMs: {
    env: 'EVENT_RETRY_MAX_DELAY_MS',
    kind: ms(0, 86_400_000),
    default: 3_600_000,
    doc: 'Largest retry delay of a failed delivery.',
  },
  eventLeaseMs: {
    env: 'EVENT_LEASE_MS',
    kind: ms(1_000, 3_600_000),
    default: 60_000,
    doc: 'How long a replica owns a delivery it runs; keep it above your slowest listener.',
  },
  eventPollMs: {
    env: 'EVENT_POLL_MS',
    kind: ms(0, 3_600_000, '0 turns polling off'),
    default: 2_000,
    doc: 'How often each replica looks for due event deliveries (retries, leftovers of a crash), for pending notifications to settle and for recurring-charge events to write; 0 turns polling off, for tests that drive it by hand.',
  },
  allowLegacySha1: {
    env: 'ALLOW_LEGACY_SHA1',
    kind: flag(),
    default: true,
    doc: 'Accept notifications signed with legacy SHA-1 (no prefix). Set `false` once PlacetoPay has moved your site to SHA-256.',
  },
  notificationQuery: {
    env: 'NOTIFICATION_QUERY',
    kind: flag(),
    default: true,
    doc: 'Settle a notification by querying its session. When `false`, notifications are only recorded and the return URL (`syncPayment`) settles the payment, and the probe.',
  },
  journalDir: {
    env: 'JOURNAL_DIR',
    kind: directory(),
    default: '.placetopay-journal',
    doc: 'Where a verified notification the database cannot take is written (fsynced) before it is answered 200, until the database takes it; replayed at start. One folder per site and route inside. Relative to the working directory; in production a persistent volume of its own per replica ([docs/production.md](docs/production.md#the-notification-journal)). When it cannot be written either, the notification is answered 503.',
  },
  probeEnabled: {
    env: 'PROBE_ENABLED',
    kind: flag(),
    default: true,
    doc: 'Run the probe on its cron schedule. Needs `ScheduleModule.forRoot()` in your app; start-up fails saying so when it is missing. `service.runProbe()` works either way.',
  },
  probeCron: {
    env: 'PROBE_CRON',
    kind: patterned(
      'cron, 5 or 6 fields',
      /^\S+(\s+\S+){4,5}$/,
      'must be a cron expression of 5 or 6 fields such as "* * * * *"',
    ),
    default: '* * * * *',
    doc: 'When the probe runs (checked at start-up). Every replica runs it; leases share the work.',
  },
  probeFirstCheckMs: {
    env: 'PROBE_FIRST_CHECK_MS',
    kind: ms(0, 86_400_000),
    default: 7 * 60_000,
    doc: "First check of a session after its creation: 7 minutes, PlacetoPay's guidance.",
  },
  probeIntervalMs: {
    env: 'PROBE_INTERVAL_MS',
    kind: ms(10_000, 86_400_000),
    default: 12 * 60_000,
    doc: 'Time between checks of an open session: 12 minutes, with one check just after its expiration; after the expiration the wait grows with the time since (about doubling), up to 6 hours.',
  },
  probeBatchSize: {
    env: 'PROBE_BATCH_SIZE',
    kind: wholeNumber(1, 1_000),
    default: 50,
    doc: 'Payments a pass claims, and holds in memory, at once.',
  },
  probeConcurrency: {
    env: 'PROBE_CONCURRENCY',
    kind: wholeNumber(1, 200),
    default: 10,
    doc: 'Session queries in flight at once per process.',
  },
  probeLeaseMs: {
    env: 'PROBE_LEASE_MS',
    kind: ms(10_000, 86_400_000),
    default: 5 * 60_000,
    doc: "How long a replica owns the payments it claimed; a crashed replica's claims are free after it. Must be at least 10 s longer than the slowest query (`timeoutMs` × `queryAttempts` + retry delays).",
  },
  probeGiveUpMs: {
    env: 'PROBE_GIVE_UP_MS',
    kind: ms(3_600_000, 365 * 86_400_000),
    default: 7 * 86_400_000,
    doc: 'Age after which an open payment stops being checked (7 days): it keeps its status, gets `needsReview` and `payment.unresolved` fires.',
  },
  instrumentKey: {
    env: 'INSTRUMENT_KEY',
    kind: instrumentKey(),
    secret: true,
    doc: 'The key that encrypts stored payment-method tokens (AES-256-GCM; see [docs/stored-methods.md](docs/stored-methods.md)): 32 random bytes as 64 hex characters or base64 (`openssl rand -hex 32`). Without it, stored payment methods are off.',
  },
  instrumentPreviousKeys: {
    env: 'INSTRUMENT_PREVIOUS_KEYS',
    kind: instrumentKeys(),
    default: [],
    secret: true,
    doc: 'Earlier keys, still read after a rotation; new tokens always use `instrumentKey`.',
  },
  'webhook.path': {
    env: 'WEBHOOK_PATH',
    kind: routePath(),
    default: 'placetopay/notification',
    module: true,
    doc: 'The notification route.',
  },
  'webhook.recurringPath': {
    env: 'RECURRING_WEBHOOK_PATH',
    kind: routePath(),
    default: 'placetopay/recurring-notification',
    module: true,
    doc: 'The route for recurring-charge notifications (the URL you send as `payment.recurring.notificationUrl`); on and off with `webhook.enabled`.',
  },
  'webhook.enabled': {
    env: 'WEBHOOK_ENABLED',
    kind: flag(),
    default: true,
    module: true,
    doc: 'Serve the notification routes.',
  },
  'webhook.decorators': {
    kind: codeOnly<MethodDecorator[]>('MethodDecorator[]', Array.isArray),
    default: [],
    module: true,
    doc: 'Your decorators for the routes (`@Public()`, `@SkipThrottle()`, ...): global guards and throttlers run on them too, and a 401 or 429 there loses the notification for good.',
  },
  name: {
    kind: codeOnly<string>('string', (value) => typeof value === 'string'),
    module: true,
    doc: 'The site (one PlacetoPay merchant account) this registration serves, for several sites in one app: a lowercase name such as `co`. Its variables take the name as a prefix (`PLACETOPAY_CO_LOGIN`), its routes end in `/<name>`, its probe job is `placetopay-probe:<name>`, its service is injected with `@InjectPlacetoPay(name)` and its rows carry `site = name`. Without it the site is `default`. See [docs/sites.md](docs/sites.md).',
  },
  dataSource: {
    kind: codeOnly<string>('string', (value) => typeof value === 'string' && value !== ''),
    module: true,
    doc: "The name of the TypeORM DataSource (`TypeOrmModule.forRoot({ name })`) that holds the site's tables; without it, the default DataSource.",
  },
  isGlobal: {
    kind: flag(),
    default: false,
    module: true,
    doc: 'Register the module globally.',
  },
  clientOnly: {
    kind: flag(),
    default: false,
    module: true,
    doc: 'Register only `PlacetoPayClient`: no entities, no `PlacetoPayService`, no TypeORM.',
  },
});

export type PlacetoPayOptionTable = typeof PLACETOPAY_OPTION_TABLE;
export type OptionName = keyof PlacetoPayOptionTable;

/** The entries in table order, each with its name. */
export const OPTION_ENTRIES = Object.entries(PLACETOPAY_OPTION_TABLE).map(([name, entry]) => ({
  name,
  ...(entry as OptionEntry<unknown>),
}));
