import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import {
  BodyTooLargeError,
  NOTIFICATION_BODY_LIMIT,
  TOO_LARGE_ANSWER,
  readCapped,
} from './notification-body';
import { WebhookRefusals } from './webhook-refusals';

/** The webhook's route paths (`webhook.path`, `webhook.recurringPath`), as the module mounts them. */
export const WEBHOOK_ROUTES = Symbol('placetopayWebhookRoutes');

/** Express's body parsers, by their middleware names: the cap goes before the first of them. */
const EXPRESS_PARSERS = new Set(['jsonParser', 'urlencodedParser', 'rawParser', 'textParser']);

type Next = (error?: unknown) => void;
type ExpressRequest = IncomingMessage & { body?: unknown; _body?: boolean };
interface ExpressLayer {
  name: string;
}
interface ExpressApp {
  use(handler: (req: ExpressRequest, res: ServerResponse, next: Next) => void): unknown;
  router?: { stack: ExpressLayer[] };
  _router?: { stack: ExpressLayer[] };
}
interface FastifyApp {
  addHook(
    name: 'preParsing',
    hook: (
      request: { method: string; url: string; headers: IncomingMessage['headers'] },
      reply: { header(name: string, value: string): unknown },
      payload: Readable,
      done: (error: Error | null, payload?: Readable) => void,
    ) => void,
  ): unknown;
}

/**
 * Whether a request URL is one of the webhook routes, whatever global prefix the host set
 * (`/api/placetopay/notification` too): the path ends with the route's.
 */
export function webhookRouteMatcher(paths: readonly string[]): (url: string) => boolean {
  const suffixes = paths.map((path) => `/${path.replace(/^\/+|\/+$/g, '')}`);
  return (url) => {
    let path = url.split('?', 1)[0];
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    return suffixes.some((suffix) => path.endsWith(suffix));
  };
}

function tooLarge(): Error {
  return Object.assign(new Error('A PlacetoPay notification is at most 16 KB'), {
    statusCode: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });
}

function declaredTooLarge(headers: IncomingMessage['headers']): boolean {
  return Number(headers['content-length'] ?? 0) > NOTIFICATION_BODY_LIMIT;
}

/**
 * The webhook body cap, in front of the host's body parsers: the bytes of a webhook request are
 * counted as they arrive, whatever the transfer encoding, and reading stops past 16 KB with a
 * 413 that closes the connection (the parsers would read up to their own limits first: Express
 * 100 KB, Fastify 1 MB). Express: a middleware placed before the parsers, which then find the
 * body read (they skip a finished request). Fastify: a `preParsing` hook counting the stream.
 * Where no HTTP adapter is known, the guards' own check still holds the cap.
 */
@Injectable()
export class WebhookBodyCap implements OnModuleInit {
  private readonly matches: (url: string) => boolean;

  constructor(
    @Inject(WEBHOOK_ROUTES) routes: readonly string[],
    private readonly refusals: WebhookRefusals,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.matches = webhookRouteMatcher(routes);
  }

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return;
    if (adapter.getType() === 'express') this.capExpress(adapter.getInstance<ExpressApp>());
    else if (adapter.getType() === 'fastify') this.capFastify(adapter.getInstance<FastifyApp>());
  }

  private refuse(): void {
    this.refusals.record('too_large', 'a webhook request larger than 16 KB');
  }

  private capExpress(app: ExpressApp): void {
    app.use((req, res, next) => {
      if (req.method !== 'POST' || !this.matches(req.url ?? '')) return next();
      const answer413 = () => {
        this.refuse();
        res.statusCode = 413;
        res.setHeader('Connection', 'close');
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(TOO_LARGE_ANSWER));
      };
      if (declaredTooLarge(req.headers)) return answer413();
      readCapped(req).then(
        (body) => {
          // Read and finished: Express's parsers skip it, the guard parses it by its type.
          req.body = body;
          req._body = true;
          next();
        },
        (error: unknown) => {
          if (error instanceof BodyTooLargeError) answer413();
          else res.destroy();
        },
      );
    });
    // app.use appends; move the cap before the first parser already registered.
    const stack = (app.router ?? app._router)?.stack;
    if (!stack) return;
    const cap = stack.pop()!;
    const firstParser = stack.findIndex((layer) => EXPRESS_PARSERS.has(layer.name));
    stack.splice(firstParser === -1 ? stack.length : firstParser, 0, cap);
  }

  private capFastify(app: FastifyApp): void {
    app.addHook('preParsing', (request, reply, payload, done) => {
      if (request.method !== 'POST' || !this.matches(request.url)) return done(null, payload);
      const refuse = () => {
        this.refuse();
        reply.header('Connection', 'close');
        return tooLarge();
      };
      if (declaredTooLarge(request.headers)) return done(refuse());
      let size = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size <= NOTIFICATION_BODY_LIMIT) return callback(null, chunk);
          payload.unpipe(counted);
          payload.pause();
          callback(refuse());
        },
      });
      done(null, payload.pipe(counted));
    });
  }
}
