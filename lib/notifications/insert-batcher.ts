import { withDeadline } from '../common/time-limits';

/** A statement that took longer than the batcher waits: its rows are failed, its slot freed. */
export class InsertTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the INSERT did not finish within ${timeoutMs} ms`);
    this.name = 'InsertTimeoutError';
  }
}

/**
 * Writes rows in as few statements as the database's pace allows: a row added while `concurrency`
 * statements are under way waits for one of them to end, then goes with every row that waited
 * meanwhile (at most `maxBatch`) in one statement. Nothing waits on a timer: with fewer statements
 * under way, a row is written at once. Each row's promise settles when its statement has.
 *
 * A batch is one statement, all or nothing. When the database refused it (`retryAlone` says so,
 * for instance for one duplicate key), its rows are tried again alone, one after another in the
 * same slot (so the answers never take more than `concurrency` connections), until one fails in a
 * way `retryAlone` does not accept: that error is then every remaining row's. A statement that
 * outlasts `timeoutMs` fails its rows with InsertTimeoutError and frees its slot, so one stuck
 * connection cannot hold every later row.
 */
export class InsertBatcher<T> {
  private readonly waiting: Array<Waiting<T>> = [];
  private readonly drained: Array<() => void> = [];
  private writing = 0;

  constructor(
    private readonly options: {
      write: (rows: readonly T[]) => Promise<void>;
      concurrency: number;
      maxBatch: number;
      retryAlone: (error: unknown) => boolean;
      timeoutMs: number;
    },
  ) {}

  /** Resolves once the row is written; rejects with the database's error for it. */
  add(row: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      this.next();
    });
  }

  /** Resolves when no row is waiting or being written. */
  idle(): Promise<void> {
    if (this.writing === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private next(): void {
    while (this.writing < this.options.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.writing += 1;
      void this.writeBatch(batch).finally(() => {
        this.writing -= 1;
        this.next();
        if (this.writing === 0 && this.waiting.length === 0) {
          for (const resolve of this.drained.splice(0)) resolve();
        }
      });
    }
  }

  private async writeBatch(batch: Array<Waiting<T>>): Promise<void> {
    try {
      await this.timed(batch.map(({ row }) => row));
    } catch (error) {
      if (batch.length === 1 || !this.options.retryAlone(error)) {
        for (const { reject } of batch) reject(error);
        return;
      }
      for (const [i, { row, resolve, reject }] of batch.entries()) {
        try {
          await this.timed([row]);
          resolve();
        } catch (error) {
          reject(error);
          if (!this.options.retryAlone(error)) {
            for (const rest of batch.slice(i + 1)) rest.reject(error);
            return;
          }
        }
      }
      return;
    }
    for (const { resolve } of batch) resolve();
  }

  private timed(rows: readonly T[]): Promise<void> {
    const { write, timeoutMs } = this.options;
    let written: Promise<void>;
    try {
      written = write(rows);
    } catch (error) {
      written = Promise.reject(error);
    }
    return withDeadline(written, timeoutMs, () => new InsertTimeoutError(timeoutMs));
  }
}

interface Waiting<T> {
  row: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}
