import { Inject, type Provider } from '@nestjs/common';
import { getDataSourceToken, getRepositoryToken } from '@nestjs/typeorm';
import { PLACETOPAY_ENTITIES } from './entities';

/** The DataSource that holds this registration's tables (the `dataSource` option's, else the default). */
const SITE_DATA_SOURCE = Symbol('PLACETOPAY_SITE_DATA_SOURCE');

/**
 * The token of one table's repository in this registration: module-local, so a site whose tables
 * live in a named DataSource never shadows the host's own `getRepositoryToken(Entity)` or
 * `DataSource` (an `app.get(DataSource)` still finds the host's).
 */
export const siteRepositoryToken = (entity: { name: string }): string =>
  `nestjs-placetopay:${entity.name}Repository`;

/** `@InjectRepository(Entity)`, for the registration's own DataSource. */
export const InjectSiteRepository = (entity: { name: string }): ParameterDecorator =>
  Inject(siteRepositoryToken(entity));

/** `@InjectDataSource()`, for the registration's own DataSource. */
export const InjectSiteDataSource = (): ParameterDecorator => Inject(SITE_DATA_SOURCE);

/** Points the registration's tokens at the DataSource named `dataSource` (the default without one). */
export function siteDataSourceProviders(dataSource: string | undefined): Provider[] {
  return [
    { provide: SITE_DATA_SOURCE, useExisting: getDataSourceToken(dataSource) },
    ...PLACETOPAY_ENTITIES.map((entity) => ({
      provide: siteRepositoryToken(entity),
      useExisting: getRepositoryToken(entity, dataSource),
    })),
  ];
}
