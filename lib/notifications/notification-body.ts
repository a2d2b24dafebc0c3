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
