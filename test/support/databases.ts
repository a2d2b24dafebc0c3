import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { recordSkip } from './skipped-suites';

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

const SERVERS = [
  {
    name: 'postgres',
    part: 'PostgreSQL',
    variable: 'PLACETOPAY_TEST_POSTGRES_URL',
    url: POSTGRES_URL,
  },
  { name: 'mariadb', part: 'MariaDB', variable: 'PLACETOPAY_TEST_MARIADB_URL', url: MARIADB_URL },
] as const;

/**
 * The engines this run tests: SQLite always; PostgreSQL and MariaDB when their URL variables are
 * set. CI sets REQUIRE_ALL_SUITES=1, which turns a missing URL into a failure instead of a skip.
 *
 * A missing engine is recorded as skipped (for the skip reporter's closing line) only when the
 * suite asks for it: `map` wants every engine; `find` and `filter` want those their predicate
 * would have picked (`find((e) => e.name === 'postgres')` skips PostgreSQL, not MariaDB).
 */
export function enginesUnderTest(): Engine[] {
  const engines = [sqlite, ...(POSTGRES_URL ? [postgres] : []), ...(MARIADB_URL ? [mariadb] : [])];
  const missing = SERVERS.filter((server) => !server.url);
  if (missing.length && process.env.REQUIRE_ALL_SUITES === '1') {
    const names = missing.map((server) => server.variable);
    throw new Error(
      `REQUIRE_ALL_SUITES=1 but ${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} not set`,
    );
  }
  if (missing.length === 0) return engines;
  const warning = `Database suites run on SQLite only: set ${missing.map((s) => s.variable).join(' and ')} for the others`;
  const phantoms = missing.map((server) => ({ server, engine: { name: server.name } as Engine }));
  const skip = (wanted: (engine: Engine) => unknown) => {
    for (const { server, engine } of phantoms) {
      if (wanted(engine)) recordSkip(server.part, server.variable, warning);
    }
  };
  type Predicate = (engine: Engine, index: number, all: Engine[]) => unknown;
  Object.defineProperties(engines, {
    find: {
      value: (predicate: Predicate) => {
        skip((engine) => predicate(engine, -1, engines));
        return Array.prototype.find.call(engines, predicate);
      },
    },
    filter: {
      value: (predicate: Predicate) => {
        skip((engine) => predicate(engine, -1, engines));
        return Array.prototype.filter.call(engines, predicate);
      },
    },
    map: {
      value: <T>(mapper: (engine: Engine, index: number, all: Engine[]) => T) => {
        skip(() => true);
        return Array.prototype.map.call(engines, mapper) as T[];
      },
    },
  });
  return engines;
}
