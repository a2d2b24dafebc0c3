import { PlacetoPayConfigError, type PlacetoPayConfigProblem } from './placetopay-config.error';

type Load = (id: string) => unknown;

const CLASS_VALIDATOR = 'class-validator';
const FUNCTIONS = [
  // the option table's checks
  'isArray',
  'isBoolean',
  'isIn',
  'isInt',
  'isString',
  'length',
  'matches',
  'max',
  'min',
  // request validation
  'isEmail',
  'isIP',
  'isISO8601',
  'isURL',
] as const;

/** What the option table and the request validation use of `class-validator` (plain functions). */
export type ClassValidatorApi = Pick<typeof import('class-validator'), (typeof FUNCTIONS)[number]>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeRequire: Load = (id) => require(id);

let loaded: ClassValidatorApi | undefined;

/**
 * `class-validator` is a peer dependency (one copy, the host's). It is loaded on first use through
 * this one place, never when the package itself is imported, so a missing copy fails with an
 * "install class-validator" message instead of a bare MODULE_NOT_FOUND. `load` is injectable for
 * tests (defaults to `require`, whose result is kept).
 */
export function loadClassValidator(load?: Load): ClassValidatorApi {
  if (!load && loaded) return loaded;
  const { api, problem } = attempt(load ?? nodeRequire);
  if (problem) throw new PlacetoPayConfigError([problem]);
  if (!load) loaded = api;
  return api!;
}

/** The start-up problem when `class-validator` cannot be used; undefined when it can. */
export function classValidatorProblem(load?: Load): PlacetoPayConfigProblem | undefined {
  if (!load && loaded) return undefined;
  const { api, problem } = attempt(load ?? nodeRequire);
  if (!load && api) loaded = api;
  return problem;
}

function attempt(load: Load): { api?: ClassValidatorApi; problem?: PlacetoPayConfigProblem } {
  let api: Partial<ClassValidatorApi> | undefined;
  try {
    api = load(CLASS_VALIDATOR) as Partial<ClassValidatorApi> | undefined;
  } catch (error) {
    const missing =
      (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(CLASS_VALIDATOR);
    const detail = error instanceof Error ? error.message : String(error);
    return { problem: problem(missing ? '' : `; loading it failed: ${detail}`) };
  }
  const absent = FUNCTIONS.filter((name) => typeof api?.[name] !== 'function');
  if (absent.length > 0) {
    return { problem: problem(`; the installed copy lacks ${absent.join(', ')} (need 0.14+)`) };
  }
  return { api: api as ClassValidatorApi };
}

function problem(detail: string): PlacetoPayConfigProblem {
  return {
    option: 'class-validator',
    message: `install class-validator, the peer dependency that validates payment requests (npm install class-validator)${detail}`,
  };
}
