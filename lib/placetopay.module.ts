import { HttpModule } from '@nestjs/axios';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type {
  PlacetoPayForRootOptions,
  PlacetoPayModuleAsyncOptions,
  PlacetoPayModuleOptions,
  PlacetoPayOptionsFactory,
} from './config/placetopay-options.interface';
import { resolvePlacetoPayOptions } from './config/resolve-options';
import { PlacetoPayClient } from './gateway/placetopay.client';
import { PLACETOPAY_MODULE_OPTIONS, PLACETOPAY_OPTIONS } from './placetopay.constants';

const resolvedOptionsProvider: Provider = {
  provide: PLACETOPAY_OPTIONS,
  useFactory: (options: PlacetoPayModuleOptions) => resolvePlacetoPayOptions(options),
  inject: [PLACETOPAY_MODULE_OPTIONS],
};

const EXPORTS = [PlacetoPayClient, PLACETOPAY_OPTIONS];

/**
 * `forRoot()` reads everything from environment variables; `forRoot(options)` and
 * `forRootAsync(...)` take options, and whatever they leave out still comes from the environment.
 * Module-shaping settings (`isGlobal`) are read only from the synchronous argument.
 */
@Module({})
export class PlacetoPayModule {
  static forRoot(options: PlacetoPayForRootOptions = {}): DynamicModule {
    const { isGlobal, ...moduleOptions } = options;
    return this.assemble(
      isGlobal,
      [],
      [{ provide: PLACETOPAY_MODULE_OPTIONS, useValue: moduleOptions }],
    );
  }

  static forRootAsync(options: PlacetoPayModuleAsyncOptions): DynamicModule {
    return this.assemble(
      options.isGlobal,
      options.imports ?? [],
      this.createAsyncProviders(options),
    );
  }

  private static assemble(
    isGlobal: boolean | undefined,
    imports: NonNullable<DynamicModule['imports']>,
    optionProviders: Provider[],
  ): DynamicModule {
    return {
      module: PlacetoPayModule,
      global: isGlobal ?? false,
      // A private axios instance: host interceptors on the global axios never see our bodies.
      imports: [...imports, HttpModule.register({})],
      providers: [...optionProviders, resolvedOptionsProvider, PlacetoPayClient],
      exports: EXPORTS,
    };
  }

  private static createAsyncProviders(options: PlacetoPayModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [
        {
          provide: PLACETOPAY_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
      ];
    }
    const factoryClass = options.useExisting ?? options.useClass;
    if (!factoryClass) {
      throw new Error('PlacetoPayModule.forRootAsync() needs useFactory, useClass or useExisting');
    }
    const providers: Provider[] = [
      {
        provide: PLACETOPAY_MODULE_OPTIONS,
        useFactory: (factory: PlacetoPayOptionsFactory) => factory.createPlacetoPayOptions(),
        inject: [factoryClass],
      },
    ];
    if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
    return providers;
  }
}
