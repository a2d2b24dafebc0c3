import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';

export type EngineName = 'sqlite' | 'postgres' | 'mariadb';

export interface TestDatabase {
  options: DataSourceOptions;
  drop(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  /** A fresh, empty database of this engine, for one suite. */
  create(): Promise<TestDatabase>;
}

const POSTGRES_URL = process.env.PLACETOPAY_TEST_POSTGRES_URL;
const MARIADB_URL = process.env.PLACETOPAY_TEST_MARIADB_URL;

function databaseName(): string {
  return `ptp_${randomBytes(6).toString('hex')}`;
}

async function onServer(
  options: DataSourceOptions,
  work: (ds: DataSource) => Promise<unknown>,
): Promise<void> {
  const admin = new DataSource(options);
  await admin.initialize();
  try {
    await work(admin);
  } finally {
    await admin.destroy();
  }
}

const sqlite: Engine = {
  name: 'sqlite',
  async create() {
    return {
      options: { type: 'better-sqlite3', database: ':memory:' },
      drop: async () => undefined,
    };
  },
};

const postgres: Engine = {
  name: 'postgres',
  async create() {
    const name = databaseName();
    const admin: DataSourceOptions = { type: 'postgres', url: POSTGRES_URL };
    await onServer(admin, (ds) => ds.query(`CREATE DATABASE ${name}`));
    const url = new URL(POSTGRES_URL!);
    url.pathname = `/${name}`;
    return {
      options: { type: 'postgres', url: url.toString(), extra: { max: 20 } },
      drop: () => onServer(admin, (ds) => ds.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
    };
  },
};

const mariadb: Engine = {
  name: 'mariadb',
  async create() {
    const name = databaseName();
    const admin: DataSourceOptions = { type: 'mariadb', url: MARIADB_URL };
    await onServer(admin, (ds) => ds.query(`CREATE DATABASE ${name}`));
    const url = new URL(MARIADB_URL!);
    url.pathname = `/${name}`;
    return {
      options: { type: 'mariadb', url: url.toString(), extra: { connectionLimit: 20 } },
      drop: () => onServer(admin, (ds) => ds.query(`DROP DATABASE IF EXISTS ${name}`)),
    };
  },
};

/**
 * The engines this run tests: SQLite always; PostgreSQL and MariaDB when their URL variables are
 * set. CI sets REQUIRE_ALL_SUITES=1, which turns a missing URL into a failure instead of a skip.
 */
export function enginesUnderTest(): Engine[] {
  const engines = [sqlite];
  const missing: string[] = [];
  if (POSTGRES_URL) engines.push(postgres);
  else missing.push('PLACETOPAY_TEST_POSTGRES_URL');
  if (MARIADB_URL) engines.push(mariadb);
  else missing.push('PLACETOPAY_TEST_MARIADB_URL');
  if (missing.length && process.env.REQUIRE_ALL_SUITES === '1') {
    throw new Error(
      `REQUIRE_ALL_SUITES=1 but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`,
    );
  }
  if (missing.length)
    console.warn(`Database suites run on SQLite only: set ${missing.join(' and ')} for the others`);
  return engines;
}
