import { PlacetoPayConfigError } from '../config/placetopay-config.error';

/** What the indicator uses of `@nestjs/terminus` (10.1+): `HealthIndicatorService`. */
export interface HealthIndicatorSessionLike {
  up(data: Record<string, unknown>): Record<string, unknown>;
  down(data: Record<string, unknown>): Record<string, unknown>;
}
export interface HealthIndicatorServiceLike {
  check(key: string): HealthIndicatorSessionLike;
}
export interface TerminusApi {
  HealthIndicatorService: new () => HealthIndicatorServiceLike;
}

const TERMINUS = '@nestjs/terminus';

/**
 * `@nestjs/terminus` is an optional peer: loaded only when `PlacetoPayHealthModule` is used, never
 * when the package itself is imported. `load` is injectable for tests (defaults to `require`).
 */
export function loadTerminus(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  load: (id: string) => unknown = (id) => require(id),
): TerminusApi {
  let terminus: Partial<TerminusApi> | undefined;
  try {
    terminus = load(TERMINUS) as Partial<TerminusApi> | undefined;
  } catch (error) {
    const missing =
      (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(TERMINUS);
    throw problem(
      `install @nestjs/terminus to use PlacetoPayHealthModule (npm install @nestjs/terminus)` +
        (missing
          ? ''
          : `; loading it failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
  if (typeof terminus?.HealthIndicatorService !== 'function') {
    throw problem(
      'PlacetoPayHealthModule needs @nestjs/terminus 10.1 or later (HealthIndicatorService): upgrade @nestjs/terminus',
    );
  }
  return terminus as TerminusApi;
}

function problem(message: string): PlacetoPayConfigError {
  return new PlacetoPayConfigError([{ option: 'PlacetoPayHealthModule', message }]);
}
