import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ApiRequestHandler } from './api-request-handler';
import type { CheckoutHandler } from './checkout-handler';
import type { ControlApi } from './control-api';
import { INTERNAL_FAILURE } from './gateway-refusal';
import { logRequest, readBody, sendJson, type SimulatorRequestLogEntry } from './http-exchange';
import type { SimulatorClock } from './simulator-clock';
import type { PlacetoPaySimulatorOptions } from './simulator-options';
import { statusStamp, type StatusStamp } from './wire-shapes';

export interface SimulatorRoutes {
  /** `POST /api/...`. */
  api: ApiRequestHandler;
  /** `GET|POST /session/{requestId}/{key}`. */
  checkout: CheckoutHandler;
  /** `POST /__simulator/...`, served while `options.controlApi` is on. */
  control: ControlApi;
  options: Pick<PlacetoPaySimulatorOptions, 'controlApi'>;
  requestLog: SimulatorRequestLogEntry[];
  clock: SimulatorClock;
}

/**
 * The simulator's HTTP server: listens, sends each request to its handler by path (404 for the
 * rest), and on close ends the connections still open.
 */
export class SimulatorServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly status: StatusStamp;

  constructor(private readonly routes: SimulatorRoutes) {
    this.status = statusStamp(routes.clock);
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens on `host:port` (port 0: a free one); resolves with the base URL. */
  async listen(port: number, host: string): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (res.headersSent) res.destroy();
        else {
          sendJson(res, INTERNAL_FAILURE.httpStatus, {
            status: this.status('FAILED', INTERNAL_FAILURE.reason, INTERNAL_FAILURE.message),
          });
        }
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const { address, port: bound } = server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${bound}`;
  }

  /** Ends every open connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      sendJson(res, 413, {
        status: this.status('FAILED', 'request_not_valid', 'The request is too large'),
      });
      return;
    }
    if (req.method === 'POST' && path.startsWith('/api/')) {
      if (await this.routes.api.handle(req, res, path, raw)) return;
    }
    const control = /^\/__simulator\/session\/(\d+)\/(approve|decline|reject|expire|cancel)$/.exec(
      path,
    );
    if (control && req.method === 'POST' && this.routes.options.controlApi) {
      this.routes.control.sessionAction(res, Number(control[1]), control[2]);
      return;
    }
    const fault = /^\/__simulator\/faults(?:\/(\w+))?$/.exec(path);
    if (fault && req.method === 'POST' && this.routes.options.controlApi) {
      this.routes.control.faultControl(res, fault[1], raw);
      return;
    }
    const page = /^\/session\/(\d+)\/([0-9a-f]{32})$/.exec(path);
    if (page && (req.method === 'GET' || req.method === 'POST')) {
      this.routes.checkout.handle(req, res, Number(page[1]), page[2], raw);
      return;
    }
    logRequest(this.routes.requestLog, 'notFound', req, 404);
    sendJson(res, 404, { status: this.status('FAILED', 'NA', 'Page not found') });
  }
}
