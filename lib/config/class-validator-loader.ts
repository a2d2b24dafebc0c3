import { installMessage, loadPeer, type Peer, type PeerLoad } from '../common/load-peer';
import { PlacetoPayConfigError, type PlacetoPayConfigProblem } from './placetopay-config.error';

type Load = PeerLoad;

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

const CLASS_VALIDATOR: Peer<ClassValidatorApi> = {
  name: 'class-validator',
  purpose: ', the peer dependency that validates payment requests',
  unusable(api) {
    const absent = FUNCTIONS.filter((name) => typeof api?.[name] !== 'function');
    if (absent.length === 0) return undefined;
    return installMessage(
      CLASS_VALIDATOR,
      `; the installed copy lacks ${absent.join(', ')} (need 0.14+)`,
    );
  },
};

let loaded: ClassValidatorApi | undefined;

/**
 * `class-validator` is a peer dependency (one copy, the host's). It is loaded on first use through
 * this one place, never when the package itself is imported, so a missing copy fails with an
 * "install class-validator" message instead of a bare MODULE_NOT_FOUND. `load` is injectable for
 * tests (defaults to `require`, whose result is kept).
 */
export function loadClassValidator(load?: Load): ClassValidatorApi {
  if (!load && loaded) return loaded;
  const { api, problem } = attempt(load);
  if (problem) throw new PlacetoPayConfigError([problem]);
  if (!load) loaded = api;
  return api!;
}

/** The start-up problem when `class-validator` cannot be used; undefined when it can. */
export function classValidatorProblem(load?: Load): PlacetoPayConfigProblem | undefined {
  if (!load && loaded) return undefined;
  const { api, problem } = attempt(load);
  if (!load && api) loaded = api;
  return problem;
}

function attempt(load?: Load): { api?: ClassValidatorApi; problem?: PlacetoPayConfigProblem } {
  const { api, problem } = loadPeer(CLASS_VALIDATOR, load);
  return problem === undefined
    ? { api }
    : { problem: { option: 'class-validator', message: problem } };
}
