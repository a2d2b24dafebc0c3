import { Injectable } from '@nestjs/common';
import { InjectSiteDataSource } from './site-data-source';

import { Mutex } from 'async-mutex';
import type { DataSource, EntityManager } from 'typeorm';

const SINGLE_CONNECTION_DRIVERS = new Set([
  'sqlite',
  'better-sqlite3',
  'capacitor',
  'cordova',
  'expo',
  'nativescript',
  'react-native',
  'sqljs',
]);

/**
 * Runs the lifecycle's short transactions. SQLite drivers share one connection in TypeORM, so two
 * transactions at once would nest and collide: there they are serialised in-process.
 */
@Injectable()
export class TransactionRunner {
  private readonly mutex?: Mutex;

  constructor(@InjectSiteDataSource() private readonly dataSource: DataSource) {
    if (SINGLE_CONNECTION_DRIVERS.has(dataSource.options.type)) this.mutex = new Mutex();
  }

  /**
   * A write outside the lifecycle's transactions. On a single shared connection it must not land
   * inside one of them (and be rolled back with it): it waits its turn.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex ? this.mutex.runExclusive(work) : work();
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const transaction = () => this.dataSource.transaction(work);
    return this.mutex ? this.mutex.runExclusive(transaction) : transaction();
  }
}
