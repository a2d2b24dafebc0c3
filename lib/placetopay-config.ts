// 'nestjs-placetopay/config': the module's options as a @nestjs/config namespace. Its own entry, so
// that @nestjs/config stays an optional peer: the root entry never loads it.
import type { ConfigFactoryKeyHost } from '@nestjs/config';
import { loadPeer, type Peer } from './common/load-peer';
import { PlacetoPayConfigError } from './config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from './config/placetopay-options.interface';
import { resolvePlacetoPayOptions } from './config/resolve-options';
import { environmentPrefixOf, isDefaultSite, siteOf, siteScoped } from './config/site-name';

// The types of the option groups, for hosts that build their options in pieces.
export type {
  PlacetoPayHashAlgorithm,
  PlacetoPayModuleExtras,
  PlacetoPayWebhookOptions,
} from './config/placetopay-options.interface';

type NestConfig = typeof import('@nestjs/config');

const NEST_CONFIG: Peer<NestConfig> = {
  name: '@nestjs/config',
  purpose: ' to use placetopayConfig',
};

function loadNestConfig(): NestConfig {
  const { api, problem } = loadPeer(NEST_CONFIG);
  if (problem !== undefined) {
    throw new PlacetoPayConfigError([{ option: 'nestjs-placetopay/config', message: problem }]);
  }
  return api;
}

/**
 * The `placetopay` configuration namespace: the `PLACETOPAY_*` variables read and validated exactly
 * as `PlacetoPayModule.forRoot()` reads them (the option table's loader), when ConfigModule loads
 * it, after its `.env` files. A missing or malformed variable stops start-up with one
 * `PlacetoPayConfigError` naming every bad variable.
 *
 * ```ts
 * ConfigModule.forRoot({ load: [placetopayConfig] }),
 * PlacetoPayModule.forRootAsync({
 *   useFactory: (options: ConfigType<typeof placetopayConfig>) => options,
 *   inject: [placetopayConfig.KEY],
 * }),
 * ```
 */
export const placetopayConfig: (() => ResolvedPlacetoPayOptions) &
  ConfigFactoryKeyHost<ResolvedPlacetoPayOptions> = loadNestConfig().registerAs(
  'placetopay',
  (): ResolvedPlacetoPayOptions => resolvePlacetoPayOptions(),
);

/**
 * A named site's namespace, `placetopay:<name>`: its `PLACETOPAY_<NAME>_*` variables read and
 * validated exactly as `PlacetoPayModule.forRoot({ name })` reads them (never the unnamed ones);
 * an error names the site's variables. `placetopaySiteConfig('default')` is `placetopayConfig`.
 * The name is checked at once, as `forRoot({ name })` checks it.
 *
 * ```ts
 * const coConfig = placetopaySiteConfig('co');
 * ConfigModule.forRoot({ load: [coConfig] }),
 * PlacetoPayModule.forRootAsync({ name: 'co', ...coConfig.asProvider() }),
 * ```
 */
export function placetopaySiteConfig(
  name: string,
): (() => ResolvedPlacetoPayOptions) & ConfigFactoryKeyHost<ResolvedPlacetoPayOptions> {
  const site = siteOf(name);
  if (isDefaultSite(site)) return placetopayConfig;
  // `:` as in the site's other names (`placetopay-probe:co`): ConfigModule nests a dotted
  // namespace inside `placetopay`, which would write the site into the unnamed site's options.
  return loadNestConfig().registerAs(
    siteScoped('placetopay', site),
    (): ResolvedPlacetoPayOptions =>
      resolvePlacetoPayOptions({}, process.env, environmentPrefixOf(site), site),
  );
}
