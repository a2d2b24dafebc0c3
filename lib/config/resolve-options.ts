import { validateSync } from 'class-validator';
import { readOptionsFromEnvironment, variableFor } from './environment-variables';
import { PlacetoPayConfigError, type PlacetoPayConfigProblem } from './placetopay-config.error';
import type {
  PlacetoPayModuleOptions,
  ResolvedPlacetoPayOptions,
} from './placetopay-options.interface';
import { PlacetoPayOptionsSchema } from './placetopay-options.schema';

export const PLACETOPAY_DEFAULTS = {
  timeoutMs: 15_000,
  queryAttempts: 3,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 5_000,
  authAlgorithm: 'sha256',
  clockOffsetMs: 0,
  allowDuplicateReferences: false,
  eventMaxAttempts: 10,
  eventRetryBaseDelayMs: 1_000,
  eventRetryMaxDelayMs: 3_600_000,
  eventLeaseMs: 60_000,
  eventPollMs: 2_000,
  allowLegacySha1: true,
  notificationQuery: true,
  probeEnabled: true,
  probeCron: '* * * * *',
  probeFirstCheckMs: 7 * 60_000,
  probeIntervalMs: 12 * 60_000,
  probeBatchSize: 50,
  probeConcurrency: 10,
  probeLeaseMs: 5 * 60_000,
  probeGiveUpMs: 7 * 86_400_000,
  instrumentPreviousKeys: [] as string[],
} as const satisfies Partial<ResolvedPlacetoPayOptions>;

const TRIMMED: ReadonlyArray<keyof PlacetoPayModuleOptions> = ['login', 'secretKey', 'baseUrl'];

/**
 * Explicit options win over environment variables, which win over defaults. The result is
 * validated as a whole; every problem is reported at once.
 */
export function resolvePlacetoPayOptions(
  explicit: PlacetoPayModuleOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPlacetoPayOptions {
  const merged: Record<string, unknown> = { ...PLACETOPAY_DEFAULTS };
  for (const source of [readOptionsFromEnvironment(env), explicit]) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  for (const key of TRIMMED) {
    if (typeof merged[key] === 'string') merged[key] = (merged[key] as string).trim();
  }
  if (typeof merged.baseUrl === 'string') merged.baseUrl = merged.baseUrl.replace(/\/+$/, '');

  const schema = Object.assign(new PlacetoPayOptionsSchema(), merged);
  const errors = validateSync(schema, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  const problems: PlacetoPayConfigProblem[] = [];
  if (errors.length === 0) {
    // A claimed payment must still be ours when its slowest possible query ends.
    const worstQueryMs = worstSessionQueryMs(merged as unknown as ResolvedPlacetoPayOptions);
    if ((merged.probeLeaseMs as number) < worstQueryMs + 10_000) {
      problems.push({
        option: 'probeLeaseMs',
        variable: variableFor('probeLeaseMs'),
        message: `must be at least 10 s longer than the slowest session query (${worstQueryMs} ms: timeoutMs x queryAttempts plus the retry delays)`,
      });
    }
  }
  if (errors.length > 0 || problems.length > 0) {
    problems.push(
      ...errors.map((error) => ({
        option: error.property,
        variable: variableFor(error.property),
        message: error.constraints?.whitelistValidation
          ? 'is not a PlacetoPay option'
          : (Object.values(error.constraints ?? {})[0] ?? 'is invalid'),
      })),
    );
    throw new PlacetoPayConfigError(problems);
  }
  // Present for whoever reads it, invisible to JSON.stringify, util.inspect and object spreads,
  // so dumping the options (or a provider holding them) never prints the secret.
  for (const secret of ['secretKey', 'instrumentKey', 'instrumentPreviousKeys']) {
    Object.defineProperty(merged, secret, { value: merged[secret], enumerable: false });
  }
  return merged as unknown as ResolvedPlacetoPayOptions;
}

/** The longest one session query can take, retries included. */
export function worstSessionQueryMs(
  options: Pick<ResolvedPlacetoPayOptions, 'timeoutMs' | 'queryAttempts' | 'retryMaxDelayMs'>,
): number {
  return (
    options.timeoutMs * options.queryAttempts +
    options.retryMaxDelayMs * (options.queryAttempts - 1)
  );
}
