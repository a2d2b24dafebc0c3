import type { ServerResponse } from 'node:http';
import type { SimulatorFault } from './fault-injector';

/**
 * Plays injected faults on HTTP answers. Holds their timers (latency waits, trickles) so that
 * stopping the simulator ends them.
 */
export class FaultResponses {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waits = new Set<NodeJS.Timeout>();
  private halted = false;

  /** True from `stop()` to the next `start()`: a request that waited out its latency is dropped. */
  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.halted = false;
  }

  stop(): void {
    this.halted = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const timer of this.waits) clearTimeout(timer);
  }

  /** A latency fault's wait; never ends if the simulator stops first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.waits.add(timer);
    });
  }

  /** Answers (or does not) as the fault says; `latency` is played by `wait`. */
  apply(res: ServerResponse, fault: SimulatorFault): void {
    switch (fault.type) {
      case 'hang':
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status": {"status": "OK", "reason"');
        return;
      case 'trickle': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => res.write(' '), fault.everyMs);
        this.timers.add(timer);
        res.on('close', () => {
          clearInterval(timer);
          this.timers.delete(timer);
        });
        return;
      }
      case 'status': {
        const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
        if (fault.retryAfterSeconds !== undefined)
          headers['Retry-After'] = String(fault.retryAfterSeconds);
        res.writeHead(fault.status ?? 500, headers);
        res.end(fault.body ?? 'Service unavailable');
        return;
      }
    }
  }
}
