import { loadPeer, type Peer, type PeerLoad } from '../common/load-peer';
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

const TERMINUS: Peer<TerminusApi> = {
  name: '@nestjs/terminus',
  purpose: ' to use PlacetoPayHealthModule',
  unusable: (terminus) =>
    typeof terminus?.HealthIndicatorService === 'function'
      ? undefined
      : 'PlacetoPayHealthModule needs @nestjs/terminus 10.1 or later (HealthIndicatorService): upgrade @nestjs/terminus',
};

/**
 * `@nestjs/terminus` is an optional peer: loaded only when `PlacetoPayHealthModule` is used, never
 * when the package itself is imported. `load` is injectable for tests (defaults to `require`).
 */
export function loadTerminus(load?: PeerLoad): TerminusApi {
  const { api, problem } = loadPeer(TERMINUS, load);
  if (problem !== undefined) {
    throw new PlacetoPayConfigError([{ option: 'PlacetoPayHealthModule', message: problem }]);
  }
  return api;
}
