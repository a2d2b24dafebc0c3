import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: Record<string, unknown> | undefined;
}

export type Reply =
  | { status?: number; json?: unknown; body?: string; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true }
  | { trickle: { status?: number; everyMs: number } };

/**
 * A real HTTP server on a random loopback port that answers from a script, for testing the
 * client's wire behaviour and its reaction to faults.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly script: Reply[] = [];
  private fallback: Reply = {
    status: 404,
    json: { status: { status: 'FAILED', reason: 'NA', message: 'Page not found' } },
  };
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';

  /** Queue replies, one per request, in order; then the fallback answers. */
  reply(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  otherwise(reply: Reply): this {
    this.fallback = reply;
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      this.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
      });
      this.respond(this.script.shift() ?? this.fallback, res);
    });
  }

  private respond(reply: Reply, res: ServerResponse): void {
    if ('hang' in reply) return;
    if ('reset' in reply) {
      res.socket?.destroy();
      return;
    }
    if ('trickle' in reply) {
      res.writeHead(reply.trickle.status ?? 200, { 'Content-Type': 'application/json' });
      res.write('{"status":');
      const timer = setInterval(() => res.write(' '), reply.trickle.everyMs);
      this.timers.add(timer);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const body = reply.body ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
    res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...reply.headers });
    res.end(body);
  }
}
