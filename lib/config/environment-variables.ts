import type { PlacetoPayModuleOptions } from './placetopay-options.interface';

type OptionName = keyof PlacetoPayModuleOptions;
type Kind = 'string' | 'secret' | 'secret-list' | 'integer' | 'boolean';

interface EnvironmentVariable {
  option: OptionName;
  variable: string;
  kind: Kind;
}

/** Every option the module reads from the environment, with the variable that feeds it. */
export const PLACETOPAY_ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  { option: 'login', variable: 'PLACETOPAY_LOGIN', kind: 'string' },
  { option: 'secretKey', variable: 'PLACETOPAY_SECRET_KEY', kind: 'secret' },
  { option: 'baseUrl', variable: 'PLACETOPAY_BASE_URL', kind: 'string' },
  { option: 'timeoutMs', variable: 'PLACETOPAY_TIMEOUT_MS', kind: 'integer' },
  { option: 'queryAttempts', variable: 'PLACETOPAY_QUERY_ATTEMPTS', kind: 'integer' },
  { option: 'retryBaseDelayMs', variable: 'PLACETOPAY_RETRY_BASE_DELAY_MS', kind: 'integer' },
  { option: 'retryMaxDelayMs', variable: 'PLACETOPAY_RETRY_MAX_DELAY_MS', kind: 'integer' },
  { option: 'locale', variable: 'PLACETOPAY_LOCALE', kind: 'string' },
  { option: 'authAlgorithm', variable: 'PLACETOPAY_AUTH_ALGORITHM', kind: 'string' },
  { option: 'clockOffsetMs', variable: 'PLACETOPAY_CLOCK_OFFSET_MS', kind: 'integer' },
  {
    option: 'allowDuplicateReferences',
    variable: 'PLACETOPAY_ALLOW_DUPLICATE_REFERENCES',
    kind: 'boolean',
  },
  { option: 'eventMaxAttempts', variable: 'PLACETOPAY_EVENT_MAX_ATTEMPTS', kind: 'integer' },
  {
    option: 'eventRetryBaseDelayMs',
    variable: 'PLACETOPAY_EVENT_RETRY_BASE_DELAY_MS',
    kind: 'integer',
  },
  {
    option: 'eventRetryMaxDelayMs',
    variable: 'PLACETOPAY_EVENT_RETRY_MAX_DELAY_MS',
    kind: 'integer',
  },
  { option: 'eventLeaseMs', variable: 'PLACETOPAY_EVENT_LEASE_MS', kind: 'integer' },
  { option: 'eventPollMs', variable: 'PLACETOPAY_EVENT_POLL_MS', kind: 'integer' },
  { option: 'allowLegacySha1', variable: 'PLACETOPAY_ALLOW_LEGACY_SHA1', kind: 'boolean' },
  { option: 'notificationQuery', variable: 'PLACETOPAY_NOTIFICATION_QUERY', kind: 'boolean' },
  { option: 'probeEnabled', variable: 'PLACETOPAY_PROBE_ENABLED', kind: 'boolean' },
  { option: 'probeCron', variable: 'PLACETOPAY_PROBE_CRON', kind: 'string' },
  { option: 'probeFirstCheckMs', variable: 'PLACETOPAY_PROBE_FIRST_CHECK_MS', kind: 'integer' },
  { option: 'probeIntervalMs', variable: 'PLACETOPAY_PROBE_INTERVAL_MS', kind: 'integer' },
  { option: 'probeBatchSize', variable: 'PLACETOPAY_PROBE_BATCH_SIZE', kind: 'integer' },
  { option: 'probeConcurrency', variable: 'PLACETOPAY_PROBE_CONCURRENCY', kind: 'integer' },
  { option: 'probeLeaseMs', variable: 'PLACETOPAY_PROBE_LEASE_MS', kind: 'integer' },
  { option: 'probeGiveUpMs', variable: 'PLACETOPAY_PROBE_GIVE_UP_MS', kind: 'integer' },
  { option: 'instrumentKey', variable: 'PLACETOPAY_INSTRUMENT_KEY', kind: 'secret' },
  {
    option: 'instrumentPreviousKeys',
    variable: 'PLACETOPAY_INSTRUMENT_PREVIOUS_KEYS',
    kind: 'secret-list',
  },
];

/** Variables read synchronously by `forRoot` / `forRootAsync` (they shape the module). */
export const PLACETOPAY_MODULE_VARIABLES = {
  webhookEnabled: 'PLACETOPAY_WEBHOOK_ENABLED',
  webhookPath: 'PLACETOPAY_WEBHOOK_PATH',
  recurringWebhookPath: 'PLACETOPAY_RECURRING_WEBHOOK_PATH',
} as const;

export function readBoolean(value: string | undefined): boolean | undefined {
  const key = value?.trim().toLowerCase();
  return key !== undefined && key in BOOLEANS ? BOOLEANS[key] : undefined;
}

const BOOLEANS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

export function variableFor(option: string): string | undefined {
  return PLACETOPAY_ENVIRONMENT_VARIABLES.find((entry) => entry.option === option)?.variable;
}

/**
 * Reads the options from environment variables. Empty variables count as unset. A number that
 * does not parse is kept as text, so validation reports it against its variable.
 */
export function readOptionsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): PlacetoPayModuleOptions {
  const options: Record<string, unknown> = {};
  for (const { option, variable, kind } of PLACETOPAY_ENVIRONMENT_VARIABLES) {
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    if (kind === 'integer' && /^-?\d+$/.test(raw)) options[option] = Number(raw);
    else if (kind === 'secret-list')
      options[option] = raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    else if (kind === 'boolean' && raw.toLowerCase() in BOOLEANS)
      options[option] = BOOLEANS[raw.toLowerCase()];
    else options[option] = raw;
  }
  return options as PlacetoPayModuleOptions;
}
