import type { DataSource } from 'typeorm';

/**
 * Inserts rows with plain SQL naming only the given columns: for tables at an older migration,
 * whose entities already have columns the table lacks. Dates are stored as epoch milliseconds,
 * like the entities' transformers do.
 */
export async function insertRawRows(
  dataSource: DataSource,
  table: string,
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  const driver = dataSource.driver;
  for (const row of rows) {
    const columns = Object.keys(row);
    const values = Object.fromEntries(
      columns.map((column) => {
        const value = row[column];
        if (value instanceof Date) return [column, value.getTime()];
        if (typeof value === 'boolean') return [column, value ? 1 : 0];
        if (value !== null && typeof value === 'object') return [column, JSON.stringify(value)];
        return [column, value];
      }),
    );
    const sql =
      `INSERT INTO ${driver.escape(table)} (${columns.map((c) => driver.escape(c)).join(', ')}) ` +
      `VALUES (${columns.map((c) => `:${c}`).join(', ')})`;
    const [query, parameters] = driver.escapeQueryWithParameters(sql, values, {});
    await dataSource.query(query, parameters);
  }
}
