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
export function nestFormKeys(flat: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const match = /^([^[\]]+)\[([^[\]]+)\]$/.exec(key);
    if (!match) {
      if (!(key in result)) result[key] = value;
      continue;
    }
    const current = result[match[1]];
    const parent = (
      typeof current === 'object' && current !== null ? current : (result[match[1]] = {})
    ) as Record<string, unknown>;
    parent[match[2]] = value;
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
