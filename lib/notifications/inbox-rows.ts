import {
  QueryFailedError,
  type FindOptionsWhere,
  type ObjectLiteral,
  type Repository,
} from 'typeorm';
import type { TransactionRunner } from '../persistence/transaction-runner';
import { InsertBatcher } from './insert-batcher';
import { prepareRowsInsert } from './row-insert';

/**
 * Answer-path INSERTs under way at once. Notifications arriving meanwhile wait for one to end and
 * then go together, up to INSERT_BATCH rows in one statement: under load, far fewer statements
 * (each a round trip, a parse and a commit), and at most this many pooled connections taken by
 * answers, whatever the stream.
 */
const INSERT_CONCURRENCY = 2;
const INSERT_BATCH = 50;
/**
 * An answer's INSERT taking longer than this is given up on: its notifications are held in memory
 * and written again (a late commit of the first try counts as written), and the slot goes to the
 * next rows, so one stuck connection cannot keep PlacetoPay waiting past its own timeout.
 */
const INSERT_TIMEOUT_MS = 5_000;

/**
 * How an inbox writes its rows: each a single INSERT of every column (see row-insert), either
 * batched with the answers arriving together or alone, and how it finds a row's stored copy by
 * the notification's unique key (a failed INSERT may be a duplicate).
 */
export class InboxRows<Row extends ObjectLiteral> {
  private readonly insertRows: (rows: readonly Row[]) => Promise<void>;
  private batcher?: InsertBatcher<Row>;

  constructor(
    private readonly repository: Repository<Row>,
    private readonly transactions: TransactionRunner,
    /** The notification's unique key, as a condition on its row. */
    private readonly keyOf: (row: Row) => FindOptionsWhere<Row>,
  ) {
    this.insertRows = prepareRowsInsert(repository);
  }

  /** Writes the row with the others arriving meanwhile (one statement); rejects for this row. */
  add(row: Row): Promise<void> {
    this.batcher ??= new InsertBatcher({
      write: (rows) => this.transactions.exclusive(() => this.insertRows(rows)),
      concurrency: INSERT_CONCURRENCY,
      maxBatch: INSERT_BATCH,
      // The statement reached the database and failed (a duplicate key among the rows, or a
      // connection lost mid-statement): each row alone tells which. A connection that could not
      // be had, or a statement past its time, is every row's failure: they are held.
      retryAlone: (error) => error instanceof QueryFailedError,
      timeoutMs: INSERT_TIMEOUT_MS,
    });
    return this.batcher.add(row);
  }

  /** Writes the row in a statement of its own. */
  addAlone(row: Row): Promise<void> {
    return this.transactions.exclusive(() => this.insertRows([row]));
  }

  /** Whether a row with the same key is stored (false when the database cannot tell). */
  async exists(row: Row): Promise<boolean> {
    try {
      return await this.repository.existsBy(this.keyOf(row));
    } catch {
      return false;
    }
  }

  /** The stored row with the same key, if any. */
  findStored(row: Row): Promise<Row | null> {
    return this.repository.findOneBy(this.keyOf(row));
  }

  /** Resolves when no batched row is waiting or being written. */
  idle(): Promise<void> {
    return this.batcher?.idle() ?? Promise.resolve();
  }
}
