import type { ServerResponse } from 'node:http';
import type { FaultInjector, SimulatorFault, SimulatorOperation } from './fault-injector';
import { sendJson } from './http-exchange';
import type { SessionLifecycle } from './session-lifecycle';

const FAULT_TYPES = new Set(['latency', 'status', 'hang', 'reset', 'malformed', 'trickle']);

/** The simulator's test controls that the HTTP control API can call. */
export interface SessionControls {
  approve(requestId: number): void;
  decline(requestId: number): void;
  reject(requestId: number): void;
  expire(requestId: number): void;
  cancelByBuyer(requestId: number): void;
  session(requestId: number): unknown;
}

/**
 * The test controls served over HTTP (with the `controlApi` option), for apps in other languages:
 * session actions and fault injection.
 */
export class ControlApi {
  constructor(
    private readonly controls: SessionControls,
    private readonly lifecycle: SessionLifecycle,
    private readonly faults: FaultInjector,
    /** The operations faults can be injected into (the simulator's call counters). */
    private readonly operations: Record<SimulatorOperation, number>,
  ) {}

  /** `POST /__simulator/session/<requestId>/<action>`: answers the session after the action. */
  sessionAction(res: ServerResponse, requestId: number, action: string): void {
    if (!this.lifecycle.find(requestId)) {
      sendJson(res, 404, { error: `no session ${requestId}` });
      return;
    }
    try {
      if (action === 'approve') this.controls.approve(requestId);
      else if (action === 'decline') this.controls.decline(requestId);
      else if (action === 'reject') this.controls.reject(requestId);
      else if (action === 'expire') this.controls.expire(requestId);
      else this.controls.cancelByBuyer(requestId);
    } catch (error) {
      sendJson(res, 409, { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    sendJson(res, 200, this.controls.session(requestId));
  }

  /**
   * `POST /__simulator/faults/<operation>` with a fault as JSON body (`{"type":"latency","ms":50}`)
   * injects it; `POST /__simulator/faults` clears every fault.
   */
  faultControl(res: ServerResponse, operation: string | undefined, raw: string): void {
    if (operation === undefined) {
      this.faults.clear();
      sendJson(res, 200, { cleared: true });
      return;
    }
    if (!(operation in this.operations)) {
      sendJson(res, 404, { error: `no operation ${operation}` });
      return;
    }
    let fault: SimulatorFault;
    try {
      fault = JSON.parse(raw) as SimulatorFault;
    } catch {
      sendJson(res, 400, { error: 'the body must be a fault as JSON' });
      return;
    }
    if (!FAULT_TYPES.has(fault?.type as string)) {
      sendJson(res, 400, { error: `fault type must be one of ${[...FAULT_TYPES].join(', ')}` });
      return;
    }
    this.faults.inject(operation as SimulatorOperation, fault);
    sendJson(res, 200, { injected: fault, operation });
  }
}
