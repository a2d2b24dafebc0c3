import { HeldNotifications } from '../../lib/notifications/held-notifications';

/** A write that waits until the test lets it end, and counts how many run at once. */
class GatedWrites {
  written: string[] = [];
  tried: string[] = [];
  running = 0;
  mostAtOnce = 0;
  /** Every write is refused (the database is down). */
  failing = false;
  /** Only these are refused (the database is up and refuses them). */
  readonly refused = new Set<string>();
  private gates: Array<() => void> = [];

  readonly write = async (item: string): Promise<void> => {
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    this.tried.push(item);
    try {
      await new Promise<void>((resolve) => this.gates.push(resolve));
      if (this.failing || this.refused.has(item)) throw new Error('refused (test fault)');
      this.written.push(item);
    } finally {
      this.running -= 1;
    }
  };

  /** Lets every write started by now, or by what those start, end. */
  async open(): Promise<void> {
    for (let i = 0; i < 50; i += 1) {
      this.gates.shift()?.();
      await Promise.resolve();
    }
  }
}

describe('HeldNotifications', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes with one writer at a time, oldest first, taking what is held meanwhile', async () => {
    const writes = new GatedWrites();
    let drained = 0;
    const held = new HeldNotifications(writes.write, 10, () => (drained += 1));
    held.hold('a', 'A');
    held.hold('b', 'B');
    // The retry timer starts the pass (the first try comes within 250 ms).
    await jest.advanceTimersByTimeAsync(250);
    expect(writes.running).toBe(1);
    held.hold('c', 'C');
    // A flush during the pass joins it: no second writer.
    const joined = held.flush();
    await writes.open();
    await joined;
    expect(writes.written).toEqual(['A', 'B', 'C']);
    expect(writes.mostAtOnce).toBe(1);
    expect(held.size).toBe(0);
    expect(drained).toBe(1);
  });

  it('keeps what the database refused and tries again with backoff until it is written', async () => {
    const writes = new GatedWrites();
    const held = new HeldNotifications(writes.write, 10);
    writes.failing = true;
    held.hold('a', 'A');
    held.hold('b', 'B');
    await jest.advanceTimersByTimeAsync(250);
    await writes.open();
    // Down: the pass stopped at the second refusal, and the order is kept.
    expect(writes.tried).toEqual(['A', 'B']);
    expect(held.size).toBe(2);
    writes.failing = false;
    // The second try waits 250 to 500 ms more, never less.
    await jest.advanceTimersByTimeAsync(249);
    await writes.open();
    expect(writes.written).toEqual([]);
    await jest.advanceTimersByTimeAsync(251);
    await writes.open();
    expect(writes.written).toEqual(['A', 'B']);
    expect(held.size).toBe(0);
  });

  it('moves one the database keeps refusing behind the rest, so it holds none of them back', async () => {
    const writes = new GatedWrites();
    let drained = 0;
    const held = new HeldNotifications(writes.write, 10, () => (drained += 1));
    writes.refused.add('P');
    for (const item of ['P', 'A', 'B']) held.hold(item, item);
    const pass = held.flush();
    await writes.open();
    await pass;
    expect(writes.written).toEqual(['A', 'B']);
    expect(writes.tried).toEqual(['P', 'A', 'B', 'P']);
    expect(held.size).toBe(1);
    expect(drained).toBe(0);
    // Still held, and tried again later.
    writes.refused.clear();
    await jest.advanceTimersByTimeAsync(5_000);
    await writes.open();
    expect(writes.written).toEqual(['A', 'B', 'P']);
    expect(drained).toBe(1);
  });

  it('refuses a new key when full, replaces a held one, and evicts on request', () => {
    const held = new HeldNotifications(new GatedWrites().write, 2);
    expect(held.hold('a', 'A')).toBe(true);
    expect(held.hold('b', 'B')).toBe(true);
    expect(held.hold('c', 'C')).toBe(false);
    expect(held.hold('a', 'A2')).toBe(true);
    expect(held.get('a')).toBe('A2');
    expect(held.evict((item) => item.startsWith('B'))).toBe('B');
    expect(held.evict((item) => item.startsWith('B'))).toBeUndefined();
    expect(held.hold('c', 'C')).toBe(true);
    expect(held.size).toBe(2);
  });

  it('stops retrying once stopped, waits for a last pass at most its grace, and holds nothing more', async () => {
    const writes = new GatedWrites();
    const held = new HeldNotifications(writes.write, 10);
    held.hold('a', 'A');
    held.hold('b', 'B');
    // The last pass hangs (a database that does not answer): shutdown waits 10 s, no more.
    const stopped = held.stop(10_000);
    let left: string[] | undefined;
    void stopped.then((items) => (left = items));
    await jest.advanceTimersByTimeAsync(9_999);
    expect(left).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(left).toEqual(['A', 'B']);
    expect(held.hold('c', 'C')).toBe(false);
    // The hung write ends refused: nothing is scheduled after the stop.
    writes.failing = true;
    await writes.open();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(writes.tried).toEqual(['A', 'B']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
