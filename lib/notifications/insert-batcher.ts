/**
 * Writes rows in as few statements as the database's pace allows: a row added while `concurrency`
 * statements are under way waits for one of them to end, then goes with every row that waited
 * meanwhile (at most `maxBatch`) in one statement. Nothing waits on a timer: with fewer statements
 * under way, a row is written at once. Each row's promise settles when its statement has.
 *
 * A batch is one statement, all or nothing. When the database refused it (`retryAlone` says so,
 * for instance for one duplicate key), each of its rows is tried again alone, all at once, so a
 * row's refusal is that row's alone. Any other failure (the database unreachable) is every row's.
 */
export class InsertBatcher<T> {
  private readonly waiting: Array<Waiting<T>> = [];
  private writing = 0;

  constructor(
    private readonly options: {
      write: (rows: readonly T[]) => Promise<void>;
      concurrency: number;
      maxBatch: number;
      retryAlone: (error: unknown) => boolean;
    },
  ) {}

  /** Resolves once the row is written; rejects with the database's error for it. */
  add(row: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.writing < this.options.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.writing += 1;
      void this.writeBatch(batch).finally(() => {
        this.writing -= 1;
        this.next();
      });
    }
  }

  private async writeBatch(batch: Array<Waiting<T>>): Promise<void> {
    const { write, retryAlone } = this.options;
    try {
      await write(batch.map(({ row }) => row));
    } catch (error) {
      if (batch.length === 1 || !retryAlone(error)) {
        for (const { reject } of batch) reject(error);
        return;
      }
      await Promise.all(
        batch.map(({ row, resolve, reject }) => write([row]).then(resolve, reject)),
      );
      return;
    }
    for (const { resolve } of batch) resolve();
  }
}

interface Waiting<T> {
  row: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}
