import type {
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';
import type { OptionKind } from './option-kinds';
import type { HASH_ALGORITHMS, PlacetoPayOptionTable as Table } from './option-table';

// Every type here is derived from the option table (option-table.ts): an option's name, type,
// whether it is required or defaulted, and whether it shapes the module are declared there once.

export type PlacetoPayHashAlgorithm = (typeof HASH_ALGORITHMS)[number];

type ValueOf<E> = E extends { kind: OptionKind<infer T> } ? T : never;
/** The options an async factory may give: every entry but those that shape the module. */
type RuntimeName = {
  [K in keyof Table]: Table[K] extends { module: true } ? never : K;
}[keyof Table];
/** Always present once resolved: required, or with a default. */
type Settled<K extends keyof Table> = Table[K] extends { required: true } | { default: unknown }
  ? K
  : never;
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/**
 * What the host passes to `forRoot` / returns from `forRootAsync`. Every option left out is read
 * from its environment variable, then falls back to its default: see the option table
 * (`PLACETOPAY_OPTION_TABLE`) or the README's configuration table.
 */
export type PlacetoPayModuleOptions = {
  [K in keyof Table as K extends RuntimeName ? K : never]?: ValueOf<Table[K]>;
};

/** The validated configuration every provider of the module reads. */
export type ResolvedPlacetoPayOptions = Flatten<
  { [K in keyof Table as K extends RuntimeName ? Settled<K> : never]: ValueOf<Table[K]> } & {
    [K in keyof Table as K extends RuntimeName ? Exclude<K, Settled<K>> : never]?: ValueOf<
      Table[K]
    >;
  } & {
    /**
     * The site these options serve: the registration's `name`, `'default'` without one. Not
     * enumerable (like the secrets), so the resolved options can be handed back as options.
     */
    site: string;
  }
>;

/**
 * The notification routes. Read when `forRoot` / `forRootAsync` is called, never asynchronously
 * (the `webhook.*` entries of the option table).
 */
export type PlacetoPayWebhookOptions = {
  [K in keyof Table as K extends `webhook.${infer Leaf}` ? Leaf : never]?: ValueOf<Table[K]>;
};

/** Module-level settings that must be known synchronously (they shape the module itself). */
export type PlacetoPayModuleExtras = {
  [K in keyof Table as K extends `${string}.${string}` | RuntimeName ? never : K]?: ValueOf<
    Table[K]
  >;
} & { webhook?: PlacetoPayWebhookOptions };

/** The extras with their defaults and variables applied. */
export type ResolvedPlacetoPayModuleExtras = Required<
  Omit<PlacetoPayModuleExtras, 'webhook' | 'name' | 'dataSource'>
> &
  Pick<PlacetoPayModuleExtras, 'dataSource'> & {
    webhook: Required<PlacetoPayWebhookOptions>;
  };

export type PlacetoPayForRootOptions = PlacetoPayModuleOptions & PlacetoPayModuleExtras;

export interface PlacetoPayOptionsFactory {
  createPlacetoPayOptions(): Promise<PlacetoPayModuleOptions> | PlacetoPayModuleOptions;
}

export interface PlacetoPayModuleAsyncOptions
  extends Pick<ModuleMetadata, 'imports'>, PlacetoPayModuleExtras {
  useFactory?: (
    ...args: any[] // eslint-disable-line @typescript-eslint/no-explicit-any
  ) => Promise<PlacetoPayModuleOptions> | PlacetoPayModuleOptions;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<PlacetoPayOptionsFactory>;
  useExisting?: Type<PlacetoPayOptionsFactory>;
}
