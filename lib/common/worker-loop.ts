import { waitAtMost } from './time-limits';

export interface WorkerLoopOptions<T> {
  /** One pass of the work. A pass that throws has failed. */
  pass: () => Promise<T>;
  /** Once started, a pass every `everyMs` (0 or absent: only when asked for). */
  everyMs?: number;
  /** What that poll does while a pass runs: skip (the default), or ask for one more after it. */
  pollWhileBusy?: 'skip' | 'again';
  /**
   * After a failed pass, the next one comes by itself, after an exponential backoff with equal
   * jitter (retry n waits between half and all of min(maxDelayMs, baseDelayMs * 2^(n-1))).
   */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  /** How long stop() waits for the running pass, at most (default: until it ends). */
  graceMs?: number;
  /** The failure of a pass nobody awaits: one started by kick, tick, the poll or a timer. */
  onError?: (error: unknown) => void;
  /** A scheduled pass keeps the process alive (by default no timer of the loop does). */
  holdProcess?: boolean;
  /** The jitter's random source (tests pin it). */
  random?: () => number;
}

interface Waiter<T> {
  resolve(results: T[]): void;
  reject(error: unknown): void;
}

/**
 * A worker that runs one pass at a time: on demand (run, kick, drain), on a poll, or on a timer
 * (later, backoff after a failure). Every loop of the library is one of these, so starting,
 * stopping with a grace period, coalescing requests and waiting for quiet work the same way
 * everywhere.
 *
 * - run(): a pass now, or the running one (single flight); resolves with its result.
 * - kick(): a pass now; during one, one more after it (however many kicks came meanwhile).
 * - drain(): like kick, and waits for the loop to be quiet; resolves with every pass's result.
 * - tick(): a pass now unless one is running (then skipped).
 * - later(ms): a pass after ms (default: the backoff delay), unless one is scheduled already.
 * - idle(): resolves when no pass is running, without starting one.
 * - stop(): no more polls, timers or kicks; waits for the running pass at most the grace.
 */
export class WorkerLoop<T = void> {
  private current?: Promise<T>;
  /** Whether the current pass's failure goes to onError (nobody asked to await it). */
  private report = false;
  /** One more pass is asked for after the current one (and whether to report its failure). */
  private again = false;
  private reportAgain = false;
  /** drain() callers waiting for this run of passes to end, and the results so far. */
  private waiters: Array<Waiter<T>> = [];
  private results: T[] = [];
  private timer?: NodeJS.Timeout;
  /** later() asked during a pass: scheduled when the run ends. */
  private afterRunMs?: number;
  private poll?: NodeJS.Timeout;
  private failures = 0;
  private halted = false;
  private readonly wakers = new Set<() => void>();

  constructor(private readonly options: WorkerLoopOptions<T>) {}

  /** Whether a pass is running. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Whether stop() was called: a long pass checks this to end early. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Whether a pass is scheduled for later (by later() or a backoff). */
  get scheduled(): boolean {
    return this.timer !== undefined || this.afterRunMs !== undefined;
  }

  /** Starts the poll, if the loop has one. */
  start(): void {
    const everyMs = this.options.everyMs ?? 0;
    if (everyMs <= 0 || this.poll || this.halted) return;
    const again = this.options.pollWhileBusy === 'again';
    this.poll = setInterval(() => (again ? this.kick() : this.tick()), everyMs);
    this.poll.unref();
  }

  /**
   * Stops polls, timers and kicks (run and drain still run a pass when called), wakes the pauses,
   * and waits for the running pass at most `graceMs` (Infinity: until it ends; 0: not at all).
   */
  async stop(graceMs = this.options.graceMs ?? Infinity): Promise<void> {
    this.halted = true;
    this.again = false;
    this.afterRunMs = undefined;
    clearInterval(this.poll);
    this.poll = undefined;
    this.cancelTimer();
    for (const wake of [...this.wakers]) wake();
    if (graceMs === Infinity) await this.idle();
    else if (graceMs > 0) await waitAtMost(this.idle(), graceMs);
  }

  /** A pass now, or the one running; rejects with its failure. */
  run(): Promise<T> {
    if (this.current) return this.current;
    return this.begin(false);
  }

  /** A pass now; during one, one more after it. Never throws (failures go to onError). */
  kick(): void {
    if (this.halted) return;
    if (this.current) this.askAgain(true);
    else this.begin(true);
  }

  /** A pass now unless one is running; false when skipped. Failures go to onError. */
  tick(): boolean {
    if (this.halted || this.current) return false;
    this.begin(true);
    return true;
  }

  /**
   * Like kick, and resolves when this run of passes ends (nothing more asked for), with every
   * pass's result since the run began; rejects with the first failure.
   */
  drain(): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.current) this.askAgain(false);
      else this.begin(false);
    });
  }

  /**
   * A pass after `delayMs` (default: the backoff delay of the next retry), unless one is scheduled
   * already. Asked during a pass, the delay counts from the end of its run.
   */
  later(delayMs?: number): void {
    if (this.halted || this.scheduled) return;
    const delay = delayMs ?? this.backoffDelay();
    if (this.current) this.afterRunMs = delay;
    else this.schedule(delay);
  }

  /** For a pass: waits `ms`, or less if the loop stops meanwhile. */
  pause(ms: number): Promise<void> {
    if (this.halted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.wakers.add(wake);
    });
  }

  /** Resolves when no pass is running (one asked for meanwhile is waited for too). */
  async idle(): Promise<void> {
    while (this.current) await this.current.catch(() => undefined);
  }

  private askAgain(report: boolean): void {
    this.again = true;
    this.reportAgain ||= report;
  }

  private begin(report: boolean): Promise<T> {
    // A pass now makes a scheduled one pointless (a failure schedules it again).
    this.cancelTimer();
    this.again = false;
    this.reportAgain = false;
    this.report = report;
    let work: Promise<T>;
    try {
      work = this.options.pass();
    } catch (error) {
      work = Promise.reject(error);
    }
    // The loop's state moves on before anyone awaiting the pass resumes, so a caller that asks
    // again at once never joins a pass that has ended.
    const pass = work.then(
      (result) => {
        this.ended(result);
        return result;
      },
      (error: unknown) => {
        this.failed(error);
        throw error;
      },
    );
    pass.catch(() => undefined);
    this.current = pass;
    return pass;
  }

  private ended(result: T): void {
    this.current = undefined;
    this.results.push(result);
    if (this.again && !this.halted) {
      this.begin(this.reportAgain);
      return;
    }
    this.failures = 0;
    const results = this.results;
    for (const waiter of this.endRun()) waiter.resolve(results);
  }

  /** A failure ends the run (a pass asked for after it is not run). */
  private failed(error: unknown): void {
    this.current = undefined;
    if (this.report) this.options.onError?.(error);
    this.failures += 1;
    if (this.options.backoff && !this.halted) {
      this.afterRunMs = undefined;
      this.schedule(this.backoffDelay());
    }
    for (const waiter of this.endRun()) waiter.reject(error);
  }

  /** The run of passes is over: schedules what later() asked for, hands back the waiters. */
  private endRun(): Array<Waiter<T>> {
    this.again = false;
    this.reportAgain = false;
    this.results = [];
    const delay = this.afterRunMs;
    this.afterRunMs = undefined;
    if (delay !== undefined && !this.halted && !this.timer) this.schedule(delay);
    return this.waiters.splice(0);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, delayMs);
    if (!this.options.holdProcess) this.timer.unref();
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private backoffDelay(): number {
    const { baseDelayMs, maxDelayMs } = this.options.backoff ?? { baseDelayMs: 0, maxDelayMs: 0 };
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** this.failures);
    return Math.round(ceiling * (0.5 + (this.options.random ?? Math.random)() / 2));
  }
}
