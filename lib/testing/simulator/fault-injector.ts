export type SimulatorOperation =
  | 'createSession'
  | 'getSession'
  | 'cancelSession'
  | 'collect'
  | 'transaction'
  | 'reverse'
  | 'invalidateToken';

export type SimulatorFault =
  /** Answer after this many milliseconds (then normally). */
  | { type: 'latency'; ms: number }
  /** Answer this HTTP status (500 by default) without doing anything. */
  | { type: 'status'; status?: number; body?: string; retryAfterSeconds?: number }
  /** Accept the connection, never answer. */
  | { type: 'hang' }
  /** Destroy the connection without an answer. */
  | { type: 'reset' }
  /** Answer 200 with a body that is not JSON. */
  | { type: 'malformed' }
  /** Send headers, then one byte every `everyMs` forever. */
  | { type: 'trickle'; everyMs: number };

export interface FaultRule {
  fault: SimulatorFault;
  /** Requests left to affect; Infinity by default. */
  remaining: number;
  /** `after`: the gateway does the work, then the answer is lost (the "may have reached" case). */
  when: 'before' | 'after';
}

/** Fault injection per endpoint for tests. */
export class FaultInjector {
  private readonly rules = new Map<SimulatorOperation, FaultRule[]>();

  inject(
    operation: SimulatorOperation,
    fault: SimulatorFault,
    options: { times?: number; when?: 'before' | 'after' } = {},
  ): void {
    const list = this.rules.get(operation) ?? [];
    list.push({
      fault,
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      when: options.when ?? 'before',
    });
    this.rules.set(operation, list);
  }

  clear(operation?: SimulatorOperation): void {
    if (operation) this.rules.delete(operation);
    else this.rules.clear();
  }

  /** Takes the next fault for a request, if any, and counts it down. */
  take(operation: SimulatorOperation): FaultRule | undefined {
    const list = this.rules.get(operation);
    const rule = list?.find((r) => r.remaining > 0);
    if (!rule) return undefined;
    rule.remaining--;
    return rule;
  }
}
