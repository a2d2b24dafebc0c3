import type { TableColumnOptions } from 'typeorm/schema-builder/options/TableColumnOptions';

// Column shapes shared by the migrations. Migrations are history: change nothing here that an
// existing migration uses; add new helpers instead.

export const varcharColumn = (
  name: string,
  length: number,
  isNullable = false,
): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export const bigintColumn = (
  name: string,
  isNullable = false,
  defaultValue?: number,
): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable,
  ...(defaultValue === undefined ? {} : { default: defaultValue }),
});

export const integerColumn = (name: string, defaultValue?: number): TableColumnOptions => ({
  name,
  type: 'integer',
  isNullable: false,
  ...(defaultValue === undefined ? {} : { default: defaultValue }),
});

/** `site`: the site of a row, `default` for rows written before sites existed. */
export const siteColumn = (): TableColumnOptions => ({
  name: 'site',
  type: 'varchar',
  length: '32',
  isNullable: false,
  default: "'default'",
});
