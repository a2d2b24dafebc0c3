import { HttpModule } from '@nestjs/axios';
import { Module, type DynamicModule } from '@nestjs/common';
import {
  PLACETOPAY_HEALTH_INDICATOR_SERVICE,
  PLACETOPAY_HEALTH_OPTIONS,
  type PlacetoPayHealthOptions,
} from './placetopay-health-options';
import { PlacetoPayHealthIndicator, checkHealthOptions } from './placetopay-health.indicator';
import { SiteGateways } from './site-gateways';
import { loadTerminus } from './terminus-loader';

/**
 * Provides `PlacetoPayHealthIndicator`. Import it once, next to `TerminusModule` and the
 * `PlacetoPayModule` registrations: one indicator checks every site (`forSite(name)`), each with
 * its own cache; the settings here apply to all of them. `@nestjs/terminus` is loaded only here, and start-up stops with a
 * `PlacetoPayConfigError` saying to install it when it is missing.
 */
@Module({
  // A private axios instance, like PlacetoPayModule's: host interceptors never see the auth block.
  imports: [HttpModule.register({})],
  providers: [
    { provide: PLACETOPAY_HEALTH_OPTIONS, useValue: {} },
    {
      provide: PLACETOPAY_HEALTH_INDICATOR_SERVICE,
      useFactory: () => new (loadTerminus().HealthIndicatorService)(),
    },
    SiteGateways,
    PlacetoPayHealthIndicator,
  ],
  exports: [PlacetoPayHealthIndicator],
})
export class PlacetoPayHealthModule {
  /** The module with settings, e.g. `forRoot({ timeoutMs: 2000, cacheTtlMs: 30_000 })`. */
  static forRoot(options: PlacetoPayHealthOptions = {}): DynamicModule {
    checkHealthOptions(options);
    return {
      module: PlacetoPayHealthModule,
      providers: [{ provide: PLACETOPAY_HEALTH_OPTIONS, useValue: { ...options } }],
    };
  }
}
