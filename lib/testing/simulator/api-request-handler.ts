import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiEndpoints } from './api-endpoints';
import type { Authenticator } from './authenticate';
import type { FaultInjector, SimulatorOperation } from './fault-injector';
import type { FaultResponses } from './fault-responses';
import { failureOf } from './gateway-refusal';
import { logRequest, sendJson, type SimulatorRequestLogEntry } from './http-exchange';
import type { SimulatorClock } from './simulator-clock';
import { statusStamp, type StatusStamp } from './wire-shapes';

export interface ApiRequestDeps {
  endpoints: ApiEndpoints;
  auth: Authenticator;
  faults: FaultInjector;
  faultResponses: FaultResponses;
  /** Requests per operation, counted as they arrive. */
  calls: Record<SimulatorOperation, number>;
  requestLog: SimulatorRequestLogEntry[];
  clock: SimulatorClock;
}

/**
 * Answers a request to the REST API like PlacetoPay: counts it, plays an injected fault, reads the
 * body, authenticates, runs the endpoint and turns what it throws into a FAILED answer.
 */
export class ApiRequestHandler {
  private readonly status: StatusStamp;

  constructor(private readonly deps: ApiRequestDeps) {
    this.status = statusStamp(deps.clock);
  }

  /** False, without answering, when no endpoint has this path. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: string,
  ): Promise<boolean> {
    const { faults, faultResponses, requestLog } = this.deps;
    const route = this.deps.endpoints.route(path);
    if (!route) return false;
    this.deps.calls[route.operation]++;
    const rule = faults.take(route.operation);
    if (rule?.fault.type === 'latency') {
      await faultResponses.wait(rule.fault.ms);
      if (faultResponses.stopped) {
        res.destroy();
        return true;
      }
    }
    const fault = rule?.fault.type === 'latency' ? undefined : rule;
    if (fault && fault.when === 'before') {
      logRequest(requestLog, route.operation, req, 0);
      faultResponses.apply(res, fault.fault);
      return true;
    }

    const body = jsonBody(req, raw);
    const locale = typeof body.locale === 'string' ? body.locale : 'en_US';
    const outcome = this.deps.auth.check(body.auth);
    let status = 200;
    let json: unknown;
    if (!outcome.ok) {
      status = 401;
      const text = locale.startsWith('es') ? 'Autenticación fallida' : 'Authentication failed';
      json = { status: this.status('FAILED', 401, `${text} ${outcome.code}`) };
    } else {
      const { auth: _auth, ...payload } = body;
      try {
        const result = route.handler(outcome.site, payload);
        status = result.status ?? 200;
        json = result.json;
      } catch (error) {
        const failure = failureOf(error);
        status = failure.httpStatus;
        json = { status: this.status('FAILED', failure.reason, failure.message) };
      }
    }
    const requestId = (json as { requestId?: number } | undefined)?.requestId;
    logRequest(requestLog, route.operation, req, fault ? 0 : status, requestId);
    if (fault) {
      faultResponses.apply(res, fault.fault);
      return true;
    }
    sendJson(res, status, json);
    return true;
  }
}

/** Like the real gateway, a body not sent as JSON is read as text: its auth is "malformed". */
function jsonBody(req: IncomingMessage, raw: string): Record<string, unknown> {
  const isJson = /application\/json/i.test(req.headers['content-type'] ?? '');
  let body: Record<string, unknown> = {};
  try {
    const parsed = isJson ? JSON.parse(raw) : undefined;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed;
  } catch {
    body = {};
  }
  return body;
}
