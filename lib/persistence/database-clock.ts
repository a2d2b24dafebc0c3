import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectSiteDataSource } from './site-data-source';

import type { DataSource } from 'typeorm';
import { PLACETOPAY_CLOCK, systemPlacetoPayClock, type PlacetoPayClock } from '../common/clock';

/** The database's current time in epoch milliseconds, per engine family. */
const NOW_QUERIES: Record<string, string> = {
  postgres: 'SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now',
  cockroachdb: 'SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now',
  mysql: 'SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS now',
  mariadb: 'SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS now',
  sqlite: "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now",
  'better-sqlite3': "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now",
  sqljs: "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now",
};

/**
 * The clock every replica shares: the database's. The probe compares and sets its leases with it,
 * so replicas whose own clocks drift apart still agree on who owns a payment.
 */
@Injectable()
export class DatabaseClock {
  private readonly logger = new Logger('PlacetoPayProbe');
  private warned = false;

  constructor(
    @InjectSiteDataSource() private readonly dataSource: DataSource,
    /** This process's clock: what an engine without a clock query falls back to. */
    @Inject(PLACETOPAY_CLOCK)
    private readonly fallback: PlacetoPayClock = systemPlacetoPayClock,
  ) {}

  async now(): Promise<Date> {
    const query = NOW_QUERIES[this.dataSource.options.type];
    if (!query) {
      if (!this.warned) {
        this.warned = true;
        this.logger.warn(
          `no database clock query for ${this.dataSource.options.type}: the probe uses this process's clock; keep replicas' clocks in sync`,
        );
      }
      return this.fallback.now();
    }
    const [row] = (await this.dataSource.query(query)) as Array<{ now: string | number }>;
    return new Date(Number(row.now));
  }
}
