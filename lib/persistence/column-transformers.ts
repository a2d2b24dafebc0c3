import type { ValueTransformer } from 'typeorm';

/** bigint columns come back as strings from PostgreSQL and MySQL; ours fit in a JS number. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) =>
    value === null || value === undefined ? value : Number(value),
};

/**
 * Instants are stored as epoch milliseconds (bigint): the same type, precision and meaning on
 * PostgreSQL, MySQL/MariaDB and SQLite, free of session time zones, and comparable with each
 * engine's clock in SQL.
 */
export const epochMillis: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: string | number | null) =>
    value === null || value === undefined ? value : new Date(Number(value)),
};
