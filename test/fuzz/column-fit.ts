import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

const INT_MAX = 2 ** 31 - 1;

/**
 * What PostgreSQL and MariaDB would refuse to store in a row of `entity`: a string longer than
 * its varchar (they count characters, i.e. code points), an integer outside the 32-bit `int`.
 * SQLite stores anything, so the SQLite suites check this instead of relying on the database.
 */
export function columnOverflows<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  row: T,
): string[] {
  const problems: string[] = [];
  for (const column of dataSource.getMetadata(entity).columns) {
    const value: unknown = column.getEntityValue(row);
    if (value === null || value === undefined) continue;
    const type = String(column.type);
    if (type === 'varchar' && column.length) {
      const characters = [...String(value)].length;
      if (characters > Number(column.length))
        problems.push(
          `${column.propertyName}: ${characters} characters in varchar(${column.length})`,
        );
    } else if (type === 'int' || type === 'integer') {
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT_MAX)
        problems.push(`${column.propertyName}: ${String(value)} in a 32-bit int`);
    }
  }
  return problems;
}
