import { WindowedLog, type WindowSummary } from '../../lib/common/windowed-log';
import { ManualClock } from '../../lib/testing/simulator/simulator-clock';

describe('WindowedLog', () => {
  let clock: ManualClock;
  let lines: Array<WindowSummary<'a' | 'b'>>;
  let log: WindowedLog<'a' | 'b'>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    clock = new ManualClock(0);
    lines = [];
    log = new WindowedLog({ clock, windowMs: 60_000, write: (summary) => lines.push(summary) });
  });
  afterEach(async () => {
    await log.stop();
    jest.useRealTimers();
  });

  it('writes the first of a quiet spell at once and counts the rest into one line when the window ends', async () => {
    log.record('a', 'first');
    expect(lines).toEqual([{ total: 1, counts: new Map([['a', 1]]), latest: 'first' }]);
    for (let n = 0; n < 1000; n++) log.record(n % 2 ? 'a' : 'b', `n${n}`);
    expect(lines).toHaveLength(1);
    // The timer closes the window although nothing else comes.
    clock.advance(60_000);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({
      total: 1000,
      counts: new Map([
        ['b', 500],
        ['a', 500],
      ]),
      latest: 'n999',
    });
    expect(log.totals).toEqual(
      new Map([
        ['a', 501],
        ['b', 500],
      ]),
    );
  });

  it('closes a window with the next occurrence after it, and writes nothing for an empty one', async () => {
    log.record('a', 'one');
    log.record('a', 'two');
    clock.advance(61_000);
    log.record('b', 'three');
    expect(lines.map((line) => line.total)).toEqual([1, 2]);
    expect(lines[1].latest).toBe('three');
    await log.stop();
    expect(lines).toHaveLength(2);
  });

  it('writes what is left at stop', async () => {
    log.record('a', 'one');
    log.record('b', 'two');
    await log.stop();
    expect(lines.map((line) => line.total)).toEqual([1, 1]);
  });
});
