import { WorkerLoop } from '../../lib/common/worker-loop';

/** Passes that end only when the test says so, each numbered in the order it started. */
class GatedPasses {
  started = 0;
  private gates: Array<{ resolve(value: number): void; reject(error: Error): void }> = [];

  readonly pass = (): Promise<number> => {
    const number = ++this.started;
    return new Promise<number>((resolve, reject) =>
      this.gates.push({ resolve: () => resolve(number), reject }),
    );
  };

  get running(): number {
    return this.gates.length;
  }

  /** How many had started once `ms` more went by (on jest's fake clock). */
  async startedAfter(ms: number): Promise<number> {
    await jest.advanceTimersByTimeAsync(ms);
    return this.started;
  }

  /** Ends the oldest running pass (failing it with `error`), then lets the loop react. */
  async end(error?: Error): Promise<void> {
    const gate = this.gates.shift()!;
    if (error) gate.reject(error);
    else gate.resolve(0);
    await flush();
  }
}

/** Lets every promise callback queued by now (and those they queue) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

describe('WorkerLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('run() starts one pass at a time: a call during a pass joins it; one after starts another', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    const first = loop.run();
    const joined = loop.run();
    expect(joined).toBe(first);
    expect(loop.busy).toBe(true);
    await passes.end();
    await expect(first).resolves.toBe(1);
    // The loop has moved on before the caller resumes: asking again is a new pass.
    const second = loop.run();
    expect(passes.started).toBe(2);
    await passes.end();
    await expect(second).resolves.toBe(2);
    expect(loop.busy).toBe(false);
  });

  it('kick() coalesces: any number of kicks during a pass make one more pass after it', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    loop.kick();
    loop.kick();
    loop.kick();
    expect(passes.started).toBe(1);
    await passes.end();
    expect(passes.started).toBe(2);
    expect(passes.running).toBe(1);
    await passes.end();
    expect(passes.started).toBe(2);
    expect(loop.busy).toBe(false);
  });

  it('drain() waits for the run of passes it joined and resolves with all their results', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    const first = loop.drain();
    const second = loop.drain();
    await passes.end();
    // The second drain came during pass 1: pass 2 runs, and both callers wait for it.
    expect(passes.started).toBe(2);
    await passes.end();
    await expect(first).resolves.toEqual([1, 2]);
    await expect(second).resolves.toEqual([1, 2]);
  });

  it('idle() resolves once no pass runs, the one asked for meanwhile included, without starting one', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    await loop.idle();
    expect(passes.started).toBe(0);
    loop.kick();
    loop.kick();
    let idle = false;
    void loop.idle().then(() => (idle = true));
    await passes.end();
    expect(idle).toBe(false);
    await passes.end();
    expect(idle).toBe(true);
  });

  it('tick() skips while a pass runs', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    expect(loop.tick()).toBe(true);
    expect(loop.tick()).toBe(false);
    await passes.end();
    expect(passes.started).toBe(1);
    expect(loop.tick()).toBe(true);
    await passes.end();
  });

  it('polls every everyMs once started, skipping a poll that finds a pass running', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass, everyMs: 1_000 });
    expect(await passes.startedAfter(5_000)).toBe(0);
    loop.start();
    expect(await passes.startedAfter(999)).toBe(0);
    expect(await passes.startedAfter(1)).toBe(1);
    expect(await passes.startedAfter(2_000)).toBe(1);
    await passes.end();
    expect(await passes.startedAfter(1_000)).toBe(2);
    await passes.end();
    await loop.stop();
  });

  it('a poll that finds a pass running asks for one more when pollWhileBusy is again', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass, everyMs: 1_000, pollWhileBusy: 'again' });
    loop.start();
    expect(await passes.startedAfter(3_000)).toBe(1);
    await passes.end();
    expect(passes.started).toBe(2);
    await passes.end();
    await loop.stop();
  });

  it('reports the failure of a pass nobody awaits; a caller of run() or drain() gets it instead', async () => {
    const errors: unknown[] = [];
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass, onError: (error) => errors.push(error) });
    loop.kick();
    await passes.end(new Error('kicked'));
    const ran = loop.run();
    await passes.end(new Error('ran'));
    await expect(ran).rejects.toThrow('ran');
    const drained = loop.drain();
    await passes.end(new Error('drained'));
    await expect(drained).rejects.toThrow('drained');
    expect(errors.map((error) => (error as Error).message)).toEqual(['kicked']);
  });

  it('after a failure, tries again after an exponential backoff with equal jitter, reset by a success', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({
      pass: passes.pass,
      backoff: { baseDelayMs: 100, maxDelayMs: 350 },
      random: () => 0,
    });
    void loop.run().catch(() => undefined);
    await passes.end(new Error('down'));
    // Retry 2 (retry 1 is later()'s first delay): half of 200 ms.
    expect(await passes.startedAfter(99)).toBe(1);
    expect(await passes.startedAfter(1)).toBe(2);
    await passes.end(new Error('down'));
    // Retry 3: half of 400 ms, capped at 350.
    expect(await passes.startedAfter(174)).toBe(2);
    expect(await passes.startedAfter(1)).toBe(3);
    await passes.end();
    // A success: nothing more is scheduled, and the next later() waits retry 1's delay again.
    expect(await passes.startedAfter(10_000)).toBe(3);
    loop.later();
    expect(await passes.startedAfter(49)).toBe(3);
    expect(await passes.startedAfter(1)).toBe(4);
    await passes.end();
  });

  it('later() schedules one pass; asked during a pass it counts from the end of the run; a pass now replaces it', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    loop.later(1_000);
    loop.later(10);
    expect(loop.scheduled).toBe(true);
    expect(await passes.startedAfter(999)).toBe(0);
    expect(await passes.startedAfter(1)).toBe(1);
    // During the pass: from its end.
    loop.later(500);
    expect(await passes.startedAfter(2_000)).toBe(1);
    await passes.end();
    expect(loop.scheduled).toBe(true);
    expect(await passes.startedAfter(500)).toBe(2);
    await passes.end();
    // A kick before the scheduled time runs now and cancels the scheduled pass.
    loop.later(500);
    loop.kick();
    expect(loop.scheduled).toBe(false);
    await passes.end();
    expect(await passes.startedAfter(1_000)).toBe(3);
  });

  it('stop() waits for the running pass at most its grace, wakes pauses, and leaves no timer behind', async () => {
    let paused = false;
    let hung: (() => void) | undefined;
    const loop = new WorkerLoop({
      pass: async () => {
        await loop.pause(60_000);
        paused = true;
        await new Promise<void>((resolve) => (hung = resolve));
      },
      everyMs: 1_000,
      graceMs: 10_000,
    });
    loop.start();
    loop.later(5_000);
    loop.kick();
    let stopped = false;
    void loop.stop().then(() => (stopped = true));
    // The pause ends at once; the pass then hangs: the stop waits 10 s, no more.
    await flush();
    expect(paused).toBe(true);
    await jest.advanceTimersByTimeAsync(9_999);
    expect(stopped).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    // Stopped: kicks, ticks and later() do nothing; an explicit run still runs.
    loop.kick();
    expect(loop.tick()).toBe(false);
    loop.later(1);
    expect(jest.getTimerCount()).toBe(0);
    hung!();
    await loop.idle();
  });

  it('stop() without a grace waits until the running pass ends', async () => {
    const passes = new GatedPasses();
    const loop = new WorkerLoop({ pass: passes.pass });
    loop.kick();
    let stopped = false;
    void loop.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(stopped).toBe(false);
    await passes.end();
    expect(stopped).toBe(true);
  });
});
