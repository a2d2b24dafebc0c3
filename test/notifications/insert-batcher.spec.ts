import { InsertBatcher, InsertTimeoutError } from '../../lib/notifications/insert-batcher';

/** Statements that end only when the test lets them; rows named in `refused` fail theirs. */
class GatedStatements {
  readonly statements: string[][] = [];
  readonly refused = new Set<string>();
  /** Every statement fails without reaching the database. */
  unreachable = false;
  private readonly gates: Array<() => void> = [];

  readonly write = async (rows: readonly string[]): Promise<void> => {
    this.statements.push([...rows]);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.unreachable) throw new Unreachable('connection refused (test fault)');
    const bad = rows.find((row) => this.refused.has(row));
    if (bad) throw new Error(`duplicate key ${bad} (test fault)`);
  };

  get open(): number {
    return this.gates.length;
  }

  /** Ends the oldest statement under way, and lets what follows from it start. */
  async endOne(): Promise<void> {
    this.gates.shift()!();
    await new Promise(setImmediate);
  }
}

class Unreachable extends Error {}

const batcher = (db: GatedStatements, concurrency: number, maxBatch: number, timeoutMs = 60_000) =>
  new InsertBatcher({
    write: db.write,
    concurrency,
    maxBatch,
    retryAlone: (error) =>
      !(error instanceof Unreachable) && !(error instanceof InsertTimeoutError),
    timeoutMs,
  });

const settled = (promise: Promise<void>) => {
  const state = { value: 'pending' as 'pending' | 'written' | Error };
  promise.then(
    () => (state.value = 'written'),
    (error: Error) => (state.value = error),
  );
  return state;
};

describe('InsertBatcher', () => {
  it('writes a row at once and alone when nothing is under way', async () => {
    const db = new GatedStatements();
    const inserts = batcher(db, 1, 50);
    const a = settled(inserts.add('a'));
    expect(db.statements).toEqual([['a']]);
    await db.endOne();
    expect(a.value).toBe('written');
  });

  it('sends the rows that waited for a write in one statement, each answered when it commits', async () => {
    const db = new GatedStatements();
    const inserts = batcher(db, 1, 50);
    const a = settled(inserts.add('a'));
    const waited = ['b', 'c', 'd'].map((row) => settled(inserts.add(row)));
    expect(db.statements).toEqual([['a']]);
    await db.endOne();
    expect(a.value).toBe('written');
    expect(waited.map((row) => row.value)).toEqual(['pending', 'pending', 'pending']);
    expect(db.statements).toEqual([['a'], ['b', 'c', 'd']]);
    await db.endOne();
    expect(waited.map((row) => row.value)).toEqual(['written', 'written', 'written']);
  });

  it('keeps `concurrency` statements under way and no batch above `maxBatch`', async () => {
    const db = new GatedStatements();
    const inserts = batcher(db, 2, 2);
    const rows = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((row) => settled(inserts.add(row)));
    expect(db.statements).toEqual([['a'], ['b']]);
    await db.endOne();
    expect(db.statements).toEqual([['a'], ['b'], ['c', 'd']]);
    expect(db.open).toBe(2);
    while (db.open > 0) await db.endOne();
    expect(db.statements).toEqual([['a'], ['b'], ['c', 'd'], ['e', 'f'], ['g']]);
    expect(rows.every((row) => row.value === 'written')).toBe(true);
  });

  it('retries a refused batch row by row in its own slot: only the refused row fails, with its own error', async () => {
    const db = new GatedStatements();
    db.refused.add('c');
    const inserts = batcher(db, 1, 50);
    const a = settled(inserts.add('a'));
    const rows = ['b', 'c', 'd'].map((row) => settled(inserts.add(row)));
    await db.endOne();
    await db.endOne();
    // One after another: the answers never take more connections than their slots.
    expect(db.open).toBe(1);
    while (db.open > 0) await db.endOne();
    expect(a.value).toBe('written');
    expect(db.statements).toEqual([['a'], ['b', 'c', 'd'], ['b'], ['c'], ['d']]);
    expect(rows[0].value).toBe('written');
    expect(rows[1].value).toEqual(new Error('duplicate key c (test fault)'));
    expect(rows[2].value).toBe('written');
  });

  it('stops retrying a refused batch once the database is not reached: the rest fail with that error', async () => {
    const db = new GatedStatements();
    db.refused.add('b');
    const inserts = batcher(db, 1, 50);
    settled(inserts.add('a'));
    const rows = ['b', 'c', 'd'].map((row) => settled(inserts.add(row)));
    await db.endOne();
    await db.endOne();
    db.unreachable = true;
    while (db.open > 0) await db.endOne();
    expect(db.statements).toEqual([['a'], ['b', 'c', 'd'], ['b']]);
    for (const row of rows) {
      expect(row.value).toEqual(new Unreachable('connection refused (test fault)'));
    }
  });

  it('gives up on a statement past its time: its rows fail, and its slot takes the next ones', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const db = new GatedStatements();
      const inserts = batcher(db, 1, 50, 5_000);
      const stuck = settled(inserts.add('a'));
      const next = settled(inserts.add('b'));
      await jest.advanceTimersByTimeAsync(4_999);
      expect(stuck.value).toBe('pending');
      await jest.advanceTimersByTimeAsync(1);
      expect(stuck.value).toEqual(new InsertTimeoutError(5_000));
      // The stuck statement is still open; the next row did not wait for it.
      expect(db.statements).toEqual([['a'], ['b']]);
      await db.endOne();
      await db.endOne();
      expect(next.value).toBe('written');
    } finally {
      jest.useRealTimers();
    }
  });

  it('is idle once every row is written or failed', async () => {
    const db = new GatedStatements();
    const inserts = batcher(db, 1, 50);
    await inserts.idle();
    settled(inserts.add('a'));
    settled(inserts.add('b'));
    let idle = false;
    void inserts.idle().then(() => (idle = true));
    await db.endOne();
    expect(idle).toBe(false);
    await db.endOne();
    expect(idle).toBe(true);
  });

  it('rejects a lone row with the error of its statement, and goes on with the next', async () => {
    const db = new GatedStatements();
    db.refused.add('a');
    const inserts = batcher(db, 1, 50);
    const a = settled(inserts.add('a'));
    const b = settled(inserts.add('b'));
    while (db.open > 0) await db.endOne();
    expect(a.value).toEqual(new Error('duplicate key a (test fault)'));
    expect(b.value).toBe('written');
    expect(db.statements).toEqual([['a'], ['b']]);
  });

  it('fails every row of a batch alike when the database was not reached, trying none again', async () => {
    const db = new GatedStatements();
    const inserts = batcher(db, 1, 50);
    const a = settled(inserts.add('a'));
    const rows = ['b', 'c'].map((row) => settled(inserts.add(row)));
    db.unreachable = true;
    while (db.open > 0) await db.endOne();
    expect(db.statements).toEqual([['a'], ['b', 'c']]);
    for (const row of [a, ...rows]) {
      expect(row.value).toEqual(new Unreachable('connection refused (test fault)'));
    }
    // The next row is written as soon as the database answers again.
    db.unreachable = false;
    const d = settled(inserts.add('d'));
    await db.endOne();
    expect(d.value).toBe('written');
  });
});
