import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorOperation } from './fault-injector';

const MAX_BODY_BYTES = 1024 * 1024;

export interface SimulatorRequestLogEntry {
  operation: SimulatorOperation | 'checkoutPage' | 'notFound';
  method: string;
  path: string;
  httpStatus: number;
  requestId?: number;
  at: string;
}

/** Adds a request the simulator answered to its request log. */
export function logRequest(
  log: SimulatorRequestLogEntry[],
  operation: SimulatorRequestLogEntry['operation'],
  req: IncomingMessage,
  httpStatus: number,
  requestId?: number,
): void {
  log.push({
    operation,
    method: req.method ?? '',
    path: (req.url ?? '').split('?')[0],
    httpStatus,
    requestId,
    at: new Date().toISOString(),
  });
}

/** The request's body as text; rejects past 1 MiB. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(json));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location });
  res.end();
}
