// 'nestjs-placetopay/config': the module's options as a @nestjs/config namespace. Its own entry, so
// that @nestjs/config stays an optional peer: the root entry never loads it.
import type { ConfigFactoryKeyHost } from '@nestjs/config';
import { PlacetoPayConfigError } from './config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from './config/placetopay-options.interface';
import { resolvePlacetoPayOptions } from './config/resolve-options';

// The types of the option groups, for hosts that build their options in pieces.
export type {
  PlacetoPayHashAlgorithm,
  PlacetoPayModuleExtras,
  PlacetoPayWebhookOptions,
} from './config/placetopay-options.interface';

type NestConfig = typeof import('@nestjs/config');

function loadNestConfig(): NestConfig {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@nestjs/config') as NestConfig;
  } catch (error) {
    const missing =
      (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes('@nestjs/config');
    const detail = error instanceof Error ? error.message : String(error);
    throw new PlacetoPayConfigError([
      {
        option: 'nestjs-placetopay/config',
        message:
          'install @nestjs/config to use placetopayConfig (npm install @nestjs/config)' +
          (missing ? '' : `; loading it failed: ${detail}`),
      },
    ]);
  }
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
