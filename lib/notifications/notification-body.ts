import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookRefusals } from './webhook-refusals';

/** The per-route cap of a notification body. */
export const NOTIFICATION_BODY_LIMIT = 16 * 1024;

export class BodyTooLargeError extends Error {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

/**
 * Nested keys of PHP-style forms, `status[status]=APPROVED` → `{ status: { status: 'APPROVED' } }`,
 * whichever parser read the form (Fastify's keeps the brackets in flat keys).
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function nestFormKeys(flat: Record<string, unknown>): Record<string, unknown> {
  // Built without a prototype, and blind to prototype keys: a body can never reach
  // Object.prototype (`__proto__[toString]=x`).
  const result: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(flat)) {
    const match = /^([^[\]]+)\[([^[\]]+)\]$/.exec(key);
    if (!match) {
      if (!FORBIDDEN_KEYS.has(key) && !Object.hasOwn(result, key)) result[key] = value;
      continue;
    }
    const [, outer, inner] = match;
    if (FORBIDDEN_KEYS.has(outer) || FORBIDDEN_KEYS.has(inner)) continue;
    const current = Object.hasOwn(result, outer) ? result[outer] : undefined;
    const parent = (
      typeof current === 'object' && current !== null
        ? current
        : (result[outer] = Object.create(null))
    ) as Record<string, unknown>;
    parent[inner] = value;
  }
  return result;
}

export function parseForm(text: string): Record<string, unknown> {
  return nestFormKeys(Object.fromEntries(new URLSearchParams(text)));
}

function parseText(text: string, contentType: string): unknown {
  if (/application\/x-www-form-urlencoded/i.test(contentType)) return parseForm(text);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A request as a guard sees it: Express's (the Node request itself) or Fastify's (beside it). */
type NodeRequest = IncomingMessage & { body?: unknown; rawBody?: Buffer };
export type WebhookRequest = { raw?: NodeRequest; body?: unknown; rawBody?: Buffer } & Partial<
  Omit<NodeRequest, 'body' | 'rawBody'>
>;
export type WebhookResponse = { raw?: ServerResponse } & Partial<ServerResponse>;

/**
 * The size of what a body parser made of a body: its text's bytes, or its JSON's. The parser read
 * the bytes already and kept no count of them, so this is what is left to measure: whitespace and
 * escapes aside, the body's own size.
 */
export function parsedSize(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  try {
    return Buffer.byteLength(JSON.stringify(body) ?? '');
  } catch {
    return Infinity;
  }
}

function parsedBody(body: unknown, contentType: string): unknown {
  if (typeof body === 'string') return parseText(body, contentType);
  if (Buffer.isBuffer(body)) return parseText(body.toString('utf8'), contentType);
  return isPlainObject(body) ? nestFormKeys(body) : body;
}

/**
 * Reads the stream, counting bytes as they arrive: past the cap it stops (pauses the stream, so
 * the socket stops being read) and throws BodyTooLargeError, whatever the transfer encoding.
 */
export function readCapped(request: IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', finish);
      request.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= NOTIFICATION_BODY_LIMIT) {
        chunks.push(chunk);
        return;
      }
      request.pause();
      finish(new BodyTooLargeError());
    };
    const onEnd = () => finish();
    const onClose = () => finish(new Error('the request was aborted'));
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', finish);
    request.once('close', onClose);
  });
}

/**
 * The notification body as an object, at most NOTIFICATION_BODY_LIMIT bytes whatever the transfer
 * encoding (else BodyTooLargeError):
 * - nothing parsed it (no parser for its type, or the host turned them off): the stream is read
 *   here, counted as it arrives, and no further than the cap;
 * - the host's parser read it (Express and Fastify parse JSON and forms by default): the bytes
 *   are in already, so the declared length, the raw body when the host keeps it (`rawBody: true`),
 *   else the parsed body's serialized size is held to the cap.
 */
export async function readNotificationBody(request: WebhookRequest): Promise<unknown> {
  const stream = request.raw ?? (request as NodeRequest);
  const declared = Number(stream.headers?.['content-length'] ?? 0);
  if (declared > NOTIFICATION_BODY_LIMIT) throw new BodyTooLargeError();
  const rawBody = stream.rawBody ?? request.rawBody;
  if (rawBody && rawBody.length > NOTIFICATION_BODY_LIMIT) throw new BodyTooLargeError();
  const contentType = String(stream.headers?.['content-type'] ?? '');
  // Express's parsers leave the body on the Node request; Fastify's beside it, parsed for good
  // (a JSON string stays a string).
  const parsed = stream.body !== undefined ? stream.body : request.body;
  if (parsed !== undefined) {
    if (!rawBody && parsedSize(parsed) > NOTIFICATION_BODY_LIMIT) throw new BodyTooLargeError();
    if (stream.body !== undefined) return parsedBody(parsed, contentType);
    return isPlainObject(parsed) ? nestFormKeys(parsed) : parsed;
  }
  if (stream.readableEnded || typeof stream.on !== 'function') return undefined;
  return parseText((await readCapped(stream)).toString('utf8'), contentType);
}

/** The answer to a body over the cap (the route's 413). */
export const TOO_LARGE_ANSWER = { error: 'invalid_notification', reason: 'too_large' } as const;

/**
 * What a webhook guard reads (readNotificationBody). Too large → 413, unreadable → 400, both with a
 * reason code, counted in the refusals' log as `what` ("a notification"). A 413 closes the
 * connection, so what is left of the body is never read.
 */
export async function readWebhookBody(
  request: WebhookRequest,
  response: WebhookResponse,
  refusals: WebhookRefusals,
  what: string,
): Promise<unknown> {
  try {
    return await readNotificationBody(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      const raw = response.raw ?? response;
      if (typeof raw.setHeader === 'function' && !raw.headersSent)
        raw.setHeader('Connection', 'close');
      refusals.record('too_large', `${what} larger than 16 KB`);
      throw new PayloadTooLargeException(TOO_LARGE_ANSWER);
    }
    refusals.record('unreadable', `${what} whose body could not be read`);
    throw new BadRequestException({ error: 'invalid_notification', reason: 'unreadable' });
  }
}
