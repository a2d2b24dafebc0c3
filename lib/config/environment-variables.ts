import { OPTION_ENTRIES, type OptionName } from './option-table';
import type { PlacetoPayModuleOptions } from './placetopay-options.interface';

/** What every variable's name starts with, unless a site names its own prefix. */
export const DEFAULT_ENVIRONMENT_PREFIX = 'PLACETOPAY_';

/** Which options are read: those the async factory may give, or those that shape the module. */
export type OptionScope = 'options' | 'module';

export const entriesOf = (scope: OptionScope) =>
  OPTION_ENTRIES.filter((entry) => (entry.module === true) === (scope === 'module'));

/** The variable that feeds an option (`PLACETOPAY_TIMEOUT_MS`), if any. */
export function variableFor(
  option: string,
  prefix: string = DEFAULT_ENVIRONMENT_PREFIX,
): string | undefined {
  const env = OPTION_ENTRIES.find((entry) => entry.name === option)?.env;
  return env === undefined ? undefined : `${prefix}${env}`;
}

/** Every variable the module reads, with the option it feeds. */
export function environmentVariables(
  prefix: string = DEFAULT_ENVIRONMENT_PREFIX,
): Array<{ option: OptionName; variable: string }> {
  return OPTION_ENTRIES.flatMap(({ name, env }) =>
    env === undefined ? [] : [{ option: name as OptionName, variable: `${prefix}${env}` }],
  );
}

export const PLACETOPAY_ENVIRONMENT_VARIABLES = environmentVariables();

/**
 * The values of the variables of one scope, by option name (dotted for nested options). Empty
 * variables count as unset. Text that does not parse (a number that is not one) is kept as text,
 * so validation reports it against its variable.
 */
export function readEnvironment(
  scope: OptionScope,
  env: NodeJS.ProcessEnv = process.env,
  prefix: string = DEFAULT_ENVIRONMENT_PREFIX,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { name, env: suffix, kind } of entriesOf(scope)) {
    const text = suffix === undefined ? undefined : env[`${prefix}${suffix}`]?.trim();
    if (text) values[name] = kind.parse(text);
  }
  return values;
}

/** The options `forRoot()` reads from the environment (`PLACETOPAY_LOGIN`, ...). */
export function readOptionsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  prefix: string = DEFAULT_ENVIRONMENT_PREFIX,
): PlacetoPayModuleOptions {
  return readEnvironment('options', env, prefix) as PlacetoPayModuleOptions;
}
