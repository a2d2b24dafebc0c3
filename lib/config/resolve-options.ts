import {
  DEFAULT_ENVIRONMENT_PREFIX,
  entriesOf,
  readEnvironment,
  variableFor,
  type OptionScope,
} from './environment-variables';
import { classValidatorProblem } from './class-validator-loader';
import { DEFAULT_SITE, isDefaultSite } from './site-name';
import { PlacetoPayConfigError, type PlacetoPayConfigProblem } from './placetopay-config.error';
import type {
  PlacetoPayModuleExtras,
  PlacetoPayModuleOptions,
  ResolvedPlacetoPayModuleExtras,
  ResolvedPlacetoPayOptions,
} from './placetopay-options.interface';

/**
 * Explicit options win over environment variables, which win over defaults. The result is
 * validated as a whole; every problem is reported at once, naming the option and its variable,
 * never a value.
 */
export function resolvePlacetoPayOptions(
  explicit: PlacetoPayModuleOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  prefix: string = DEFAULT_ENVIRONMENT_PREFIX,
  site: string = DEFAULT_SITE,
): ResolvedPlacetoPayOptions {
  // Every check below runs on class-validator, a peer dependency: without it, say so first.
  const missingPeer = classValidatorProblem();
  if (missingPeer) throw new PlacetoPayConfigError([missingPeer]);
  const entries = entriesOf('options');
  const known = new Set(entries.map((entry) => entry.name));
  // `site` is the registration's, never an option (resolved options handed back carry it).
  const { site: _site, ...given } = explicit as PlacetoPayModuleOptions & { site?: unknown };
  explicit = given;
  const problems: PlacetoPayConfigProblem[] = Object.entries(explicit)
    .filter(([option, value]) => value !== undefined && !known.has(option))
    .map(([option]) => ({ option, message: 'is not a PlacetoPay option' }));
  const merged = settle('options', [readEnvironment('options', env, prefix), explicit]);
  for (const { name, kind, required } of entries) {
    // A required option left out (or blank) is `required`, whatever form its kind asks for.
    const value = merged[name];
    const missing = value === undefined || (required && value === '');
    const message = missing ? (required ? 'is required' : undefined) : kind.check(value);
    if (message) problems.push({ option: name, variable: variableFor(name, prefix), message });
  }
  if (problems.length === 0) {
    // A claimed payment must still be ours when its slowest possible query ends.
    const worstQueryMs = worstSessionQueryMs(merged as unknown as ResolvedPlacetoPayOptions);
    if ((merged.probeLeaseMs as number) < worstQueryMs + 10_000) {
      problems.push({
        option: 'probeLeaseMs',
        variable: variableFor('probeLeaseMs', prefix),
        message: `must be at least 10 s longer than the slowest session query (${worstQueryMs} ms: timeoutMs x queryAttempts plus the retry delays)`,
      });
    }
  }
  if (problems.length > 0) throw new PlacetoPayConfigError(problems);
  // Present for whoever reads it, invisible to JSON.stringify, util.inspect and object spreads,
  // so dumping the options (or a provider holding them) never prints a secret.
  for (const { name, secret } of entries) {
    if (secret) Object.defineProperty(merged, name, { value: merged[name], enumerable: false });
  }
  Object.defineProperty(merged, 'site', { value: site, enumerable: false });
  return merged as unknown as ResolvedPlacetoPayOptions;
}

/**
 * The settings that shape the module (`forRoot` / `forRootAsync`'s argument, else the variable,
 * else the default). Read synchronously; a variable that does not parse is ignored.
 */
export function resolveModuleExtras(
  extras: PlacetoPayModuleExtras = {},
  env: NodeJS.ProcessEnv = process.env,
  prefix: string = DEFAULT_ENVIRONMENT_PREFIX,
  site: string = DEFAULT_SITE,
): ResolvedPlacetoPayModuleExtras {
  const fromEnv = readEnvironment('module', env, prefix);
  const entries = entriesOf('module');
  for (const { name, kind } of entries) {
    if (name in fromEnv && kind.check(fromEnv[name]) !== undefined) delete fromEnv[name];
  }
  // A named site's routes default to the classic ones followed by its name.
  if (!isDefaultSite(site)) {
    for (const name of ['webhook.path', 'webhook.recurringPath']) {
      const fallback = entriesOf('module').find((entry) => entry.name === name)!.default;
      fromEnv[name] ??= `${fallback as string}/${site}`;
    }
  }
  const given = Object.fromEntries(
    entries.map(({ name }) => [
      name,
      name
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], extras),
    ]),
  );
  const nested: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settle('module', [fromEnv, given]))) {
    const path = name.split('.');
    const leaf = path.pop() as string;
    let node = nested;
    for (const key of path) node = (node[key] ??= {}) as Record<string, unknown>;
    node[leaf] = value;
  }
  return nested as ResolvedPlacetoPayModuleExtras;
}

/** `forRoot`'s argument split into the settings that shape the module and the options. */
export function splitForRootOptions(
  all: PlacetoPayModuleExtras,
): [PlacetoPayModuleExtras, PlacetoPayModuleOptions] {
  const roots = new Set(entriesOf('module').map(({ name }) => name.split('.')[0]));
  const [extras, options] = [{}, {}] as Array<Record<string, unknown>>;
  for (const [key, value] of Object.entries(all)) (roots.has(key) ? extras : options)[key] = value;
  return [extras, options];
}

/** Each option's default, then its value in each source in turn (a later one wins), normalized. */
function settle(
  scope: OptionScope,
  sources: ReadonlyArray<Record<string, unknown>>,
): Record<string, unknown> {
  const settled: Record<string, unknown> = {};
  for (const { name, kind, default: fallback } of entriesOf(scope)) {
    let value: unknown = Array.isArray(fallback) ? [...fallback] : fallback;
    for (const source of sources) if (source[name] !== undefined) value = source[name];
    if (typeof value === 'string' && kind.normalize) value = kind.normalize(value);
    if (value !== undefined) settled[name] = value;
  }
  return settled;
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
