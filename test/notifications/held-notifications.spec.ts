import { HeldNotifications } from '../../lib/notifications/held-notifications';

/** A write that waits until the test lets it end, and counts how many run at once. */
class GatedWrites {
  written: string[] = [];
  running = 0;
  mostAtOnce = 0;
  failing = false;
  private gates: Array<() => void> = [];

  readonly write = async (item: string): Promise<void> => {
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    try {
      await new Promise<void>((resolve) => this.gates.push(resolve));
      if (this.failing) throw new Error('database unreachable (test fault)');
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
    const pass = held.flush();
    held.hold('c', 'C');
    // Its retry timer fires while the pass is under way: joined, not a second writer.
    await jest.advanceTimersByTimeAsync(10_000);
    await writes.open();
    await pass;
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
    await jest.advanceTimersByTimeAsync(250);
    await writes.open();
    expect(held.size).toBe(1);
    writes.failing = false;
    // The first try came within 250 ms; the second waits 250 to 500 ms more, never less.
    await jest.advanceTimersByTimeAsync(249);
    await writes.open();
    expect(writes.written).toEqual([]);
    await jest.advanceTimersByTimeAsync(251);
    await writes.open();
    expect(writes.written).toEqual(['A']);
    expect(held.size).toBe(0);
  });

  it('refuses a new key when full, replaces a held one, and stops retrying once stopped', async () => {
    const writes = new GatedWrites();
    const held = new HeldNotifications(writes.write, 2);
    expect(held.hold('a', 'A')).toBe(true);
    expect(held.hold('b', 'B')).toBe(true);
    expect(held.hold('c', 'C')).toBe(false);
    expect(held.hold('a', 'A2')).toBe(true);
    expect(held.get('a')).toBe('A2');
    writes.failing = true;
    const stopped = held.stop();
    await writes.open();
    expect(await stopped).toEqual(['A2', 'B']);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(writes.running).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
