import { BadRequestException, PayloadTooLargeException, type Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

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

/**
 * The notification body as an object. Uses what the app's body parser already read (Express and
 * Fastify parse JSON, Express also forms); reads the stream itself, up to the cap, when nothing
 * parsed it. A body over the cap throws BodyTooLargeError.
 */
export async function readNotificationBody(
  request: IncomingMessage & { body?: unknown; rawBody?: Buffer },
): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > NOTIFICATION_BODY_LIMIT) throw new BodyTooLargeError();
  if (request.rawBody && request.rawBody.length > NOTIFICATION_BODY_LIMIT)
    throw new BodyTooLargeError();
  const contentType = String(request.headers['content-type'] ?? '');
  if (request.body !== undefined) {
    if (typeof request.body === 'string') return parseText(request.body, contentType);
    if (Buffer.isBuffer(request.body)) return parseText(request.body.toString('utf8'), contentType);
    return isPlainObject(request.body) ? nestFormKeys(request.body) : request.body;
  }
  if (request.readableEnded || typeof request.on !== 'function') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > NOTIFICATION_BODY_LIMIT) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  return parseText(Buffer.concat(chunks).toString('utf8'), contentType);
}

/**
 * What a webhook guard reads: the body from the raw stream, else the one Fastify already parsed
 * (it leaves it on its own request object, not on the raw one). Too large → 413, unreadable →
 * 400, both with a reason code and a warning naming `what` was refused.
 */
export async function readWebhookBody(
  request: { raw?: IncomingMessage; body?: unknown } & Partial<IncomingMessage>,
  logger: Logger,
  what: string,
): Promise<unknown> {
  try {
    const body = await readNotificationBody(request.raw ?? (request as IncomingMessage));
    if (body !== undefined || request.body === undefined) return body;
    return typeof request.body === 'object' && request.body !== null && !Array.isArray(request.body)
      ? nestFormKeys(request.body as Record<string, unknown>)
      : request.body;
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      logger.warn(`refused a ${what} larger than 16 KB`);
      throw new PayloadTooLargeException({ error: 'invalid_notification', reason: 'too_large' });
    }
    throw new BadRequestException({ error: 'invalid_notification', reason: 'unreadable' });
  }
}
