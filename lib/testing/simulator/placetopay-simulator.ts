import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PlacetoPayValidationError } from '../../gateway/errors/placetopay-validation.error';
import { toMinorUnits } from '../../gateway/money';
import {
  validateCollectRequest,
  validateCreateSessionRequest,
  validateInvalidateTokenRequest,
  validateTransactionActionRequest,
} from '../../gateway/validation/request.validation';
import type { Authenticator as AuthenticatorType } from './authenticate';
import { Authenticator } from './authenticate';
import { checkoutPage, resultPage, unavailablePage } from './checkout-page';
import { FaultInjector, type SimulatorFault, type SimulatorOperation } from './fault-injector';
import { Notifier, type NotificationBody } from './notifier';
import { GatewayRefusal, SessionBook } from './session-book';
import type { SimulatedSession, SimulatedTransaction, WireStatus } from './simulated-session';
import { systemClock, type SimulatorClock } from './simulator-clock';
import type { PlacetoPaySimulatorOptions, SimulatorSite } from './simulator-options';
import { TEST_CARDS, luhnValid } from './test-cards';
import { wireDate } from './wire-date';

const MAX_BODY_BYTES = 1024 * 1024;
const FAULT_TYPES = new Set(['latency', 'status', 'hang', 'reset', 'malformed', 'trickle']);

export interface SimulatorRequestLogEntry {
  operation: SimulatorOperation | 'checkoutPage' | 'notFound';
  method: string;
  path: string;
  httpStatus: number;
  requestId?: number;
  at: string;
}

type ApiHandler = (
  site: SimulatorSite,
  body: Record<string, unknown>,
) => { status?: number; json: unknown };

/**
 * A local PlacetoPay WebCheckout: the REST API of docs/protocol.md §4 with PlacetoPay's authentication and
 * validation, the session life of §8-§9, a hosted checkout page, signed notifications (§7), and
 * controls and fault injection for tests. A real HTTP server on a random loopback port.
 */
export class PlacetoPaySimulator {
  readonly faults = new FaultInjector();
  readonly notifications = new Notifier();
  readonly requestLog: SimulatorRequestLogEntry[] = [];
  readonly calls: Record<SimulatorOperation, number> = {
    createSession: 0,
    getSession: 0,
    cancelSession: 0,
    collect: 0,
    transaction: 0,
    reverse: 0,
    invalidateToken: 0,
  };
  readonly clock: SimulatorClock;
  readonly sites: SimulatorSite[];

  private readonly book: SessionBook;
  private readonly auth: AuthenticatorType;
  private server?: Server;
  private ticker?: NodeJS.Timeout;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waits = new Set<NodeJS.Timeout>();
  private stopped = false;
  private address = '';

  constructor(private readonly options: PlacetoPaySimulatorOptions) {
    if (!options.sites?.length) throw new Error('PlacetoPaySimulator needs at least one site');
    this.sites = options.sites.map((site) => ({ signatureAlgorithm: 'sha256', ...site }));
    this.clock = options.clock ?? systemClock;
    this.auth = new Authenticator(() => this.sites);
    this.book = new SessionBook({
      clock: this.clock,
      defaultExpirationMinutes: options.defaultExpirationMinutes ?? 30,
      attemptsLimit: options.attemptsLimit ?? 10,
      pendingResolutionMs: options.pendingResolutionMs ?? 5 * 60_000,
      baseUrl: () => this.url,
    });
    this.book.onFinal = (session) => this.notifications.notify(session);
  }

  /** Base URL to give as `PLACETOPAY_BASE_URL`, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (!this.address) throw new Error('PlacetoPaySimulator is not started');
    return this.address;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    this.stopped = false;
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (res.headersSent) res.destroy();
        else this.send(res, 500, { status: this.failed('XX', 'Internal error of the simulator') });
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { address, port } = server.address() as AddressInfo;
    this.address = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    const tickMs = this.options.tickMs ?? 1000;
    if (tickMs > 0) {
      this.ticker = setInterval(() => this.tick(), tickMs);
      this.ticker.unref();
    }
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const timer of this.timers) clearInterval(timer);
    for (const timer of this.waits) clearTimeout(timer);
    await this.notifications.settled();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Applies what the clock has done to every session (expirations, pending resolutions). */
  tick(): void {
    for (const session of this.book.all()) this.book.refresh(session);
  }

  /** The session as a query would return it, plus the simulator's bookkeeping. */
  session(
    requestId: number,
  ):
    | (Record<string, unknown> & { site: string; expiresAt: string; processUrl: string })
    | undefined {
    const session = this.book.find(requestId);
    if (!session) return undefined;
    return {
      ...this.information(session),
      site: session.site.login,
      expiresAt: new Date(session.expiresAt).toISOString(),
      processUrl: this.book.processUrl(session),
    };
  }

  /** Pays with an approving card (optionally only part of a partial session). */
  approve(requestId: number, options: { amount?: number; subscribe?: boolean } = {}): void {
    const session = this.mustFind(requestId);
    this.book.pay(session, {
      cardNumber: TEST_CARDS.approve,
      behaviour: 'approve',
      amountMinor:
        options.amount === undefined
          ? undefined
          : toMinorUnits(options.amount, session.currency ?? 'USD'),
      subscribe: options.subscribe,
    });
  }

  /** A declined attempt; the session stays open for another one (until the attempts limit). */
  decline(requestId: number): void {
    this.book.pay(this.mustFind(requestId), { cardNumber: TEST_CARDS.reject, behaviour: 'reject' });
  }

  /** A declined transaction and the session REJECTED, as when the buyer runs out of attempts. */
  reject(requestId: number): void {
    this.book.rejectSession(this.mustFind(requestId), TEST_CARDS.reject);
  }

  /** A pending transaction that resolves to `outcome` after `afterMs` of simulator time. */
  pend(requestId: number, outcome: 'APPROVED' | 'REJECTED', afterMs = 5 * 60_000): void {
    this.book.pay(this.mustFind(requestId), {
      cardNumber: outcome === 'APPROVED' ? TEST_CARDS.pendingApprove : TEST_CARDS.pendingReject,
      behaviour: outcome === 'APPROVED' ? 'pending-approve' : 'pending-reject',
      pendingMs: afterMs,
    });
  }

  /** Resolves the session's pending transaction now, whatever its schedule. */
  resolvePending(requestId: number, outcome?: 'APPROVED' | 'REJECTED'): void {
    const session = this.mustFind(requestId);
    const tx = session.transactions.find((t) => t.status.status === 'PENDING');
    if (!tx) throw new Error(`session ${requestId} has no pending transaction`);
    this.book.resolvePending(session, tx, outcome ?? tx.pendingOutcome ?? 'APPROVED');
  }

  /** The buyer cancels on the checkout page. */
  cancelByBuyer(requestId: number): void {
    this.book.cancelByBuyer(this.mustFind(requestId));
  }

  /** Expires the session now (REJECTED, or PARTIAL_EXPIRED with a partial payment). */
  expire(requestId: number): void {
    this.book.expire(this.mustFind(requestId));
  }

  /** Sends (again) the notification of a session, as it is now or with overrides. */
  notify(requestId: number, overrides: Partial<NotificationBody> = {}): void {
    this.notifications.notify(this.mustFind(requestId), overrides);
  }

  /**
   * PlacetoPay charges the recurrence of an approved session created with `payment.recurring`
   * (docs/protocol.md §5.5) and posts the recurring notification (§7.2) to its `notificationUrl` once,
   * signed with the documented formula's analogue (internalReference in place of requestId; the
   * real formula is undocumented). `tries` is the attempt of this charge (a declined one is
   * retried daily, 4 tries in all). Returns the charge's internalReference.
   */
  chargeRecurring(
    requestId: number,
    options: { outcome?: 'APPROVED' | 'REJECTED'; tries?: number } = {},
  ): number {
    const session = this.mustFind(requestId);
    const charge = this.book.chargeRecurring(
      session,
      options.outcome ?? 'APPROVED',
      options.tries ?? 1,
    );
    if (charge.notificationUrl) {
      this.notifications.notifyRecurring(
        session,
        charge.tx,
        charge.notificationUrl,
        charge.recurring,
      );
    }
    return charge.tx.internalReference;
  }

  /** The tokens stored for a site (for subscription tests). */
  instruments(
    login: string,
  ): Array<{ token: string; subtoken: string; lastDigits: string; valid: boolean }> {
    return this.book
      .instrumentsOf(login)
      .map(({ token, subtoken, lastDigits, valid }) => ({ token, subtoken, lastDigits, valid }));
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  private mustFind(requestId: number): SimulatedSession {
    const session = this.book.find(requestId);
    if (!session) throw new Error(`the simulator has no session ${requestId}`);
    return session;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      this.send(res, 413, { status: this.failed('request_not_valid', 'The request is too large') });
      return;
    }
    if (req.method === 'POST' && path.startsWith('/api/')) {
      await this.handleApi(req, res, path, raw);
      return;
    }
    const control = /^\/__simulator\/session\/(\d+)\/(approve|decline|reject|expire|cancel)$/.exec(
      path,
    );
    if (control && req.method === 'POST' && this.options.controlApi) {
      this.handleControl(res, Number(control[1]), control[2]);
      return;
    }
    const fault = /^\/__simulator\/faults(?:\/(\w+))?$/.exec(path);
    if (fault && req.method === 'POST' && this.options.controlApi) {
      this.handleFaultControl(res, fault[1], raw);
      return;
    }
    const page = /^\/session\/(\d+)\/([0-9a-f]{32})$/.exec(path);
    if (page && (req.method === 'GET' || req.method === 'POST')) {
      this.handlePage(req, res, Number(page[1]), page[2], raw);
      return;
    }
    this.log('notFound', req, 404);
    this.send(res, 404, { status: this.failed('NA', 'Page not found') });
  }

  private route(path: string): { operation: SimulatorOperation; handler: ApiHandler } | undefined {
    const session = /^\/api\/session\/(\d+)(\/cancel)?$/.exec(path);
    if (session) {
      const requestId = Number(session[1]);
      return session[2]
        ? { operation: 'cancelSession', handler: (site) => this.cancelSession(site, requestId) }
        : {
            operation: 'getSession',
            handler: (site) => ({ json: this.information(this.book.get(site, requestId)) }),
          };
    }
    const fixed: Record<string, { operation: SimulatorOperation; handler: ApiHandler }> = {
      '/api/session': {
        operation: 'createSession',
        handler: (site, body) => this.createSession(site, body),
      },
      '/api/collect': { operation: 'collect', handler: (site, body) => this.collect(site, body) },
      '/api/transaction': {
        operation: 'transaction',
        handler: (site, body) => this.transaction(site, body),
      },
      '/api/reverse': {
        operation: 'reverse',
        handler: (site, body) => this.legacyReverse(site, body),
      },
      '/api/instrument/invalidate': {
        operation: 'invalidateToken',
        handler: (site, body) => this.invalidate(site, body),
      },
    };
    return fixed[path];
  }

  private async handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: string,
  ): Promise<void> {
    const route = this.route(path);
    if (!route) {
      this.log('notFound', req, 404);
      this.send(res, 404, { status: this.failed('NA', 'Page not found') });
      return;
    }
    this.calls[route.operation]++;
    const rule = this.faults.take(route.operation);
    if (rule?.fault.type === 'latency') {
      await this.wait(rule.fault.ms);
      if (this.stopped) {
        res.destroy();
        return;
      }
    }
    const fault = rule?.fault.type === 'latency' ? undefined : rule;
    if (fault && fault.when === 'before') {
      this.log(route.operation, req, 0);
      this.applyFault(res, fault.fault);
      return;
    }

    // Like the real gateway, a body not sent as JSON is read as text: its auth is "malformed".
    const isJson = /application\/json/i.test(req.headers['content-type'] ?? '');
    let body: Record<string, unknown> = {};
    try {
      const parsed = isJson ? JSON.parse(raw) : undefined;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed;
    } catch {
      body = {};
    }
    const locale = typeof body.locale === 'string' ? body.locale : 'en_US';
    const outcome = this.auth.check(body.auth);
    let status = 200;
    let json: unknown;
    if (!outcome.ok) {
      status = 401;
      const text = locale.startsWith('es') ? 'Autenticación fallida' : 'Authentication failed';
      json = { status: this.failed(401, `${text} ${outcome.code}`) };
    } else {
      const { auth: _auth, ...payload } = body;
      try {
        const result = route.handler(outcome.site, payload);
        status = result.status ?? 200;
        json = result.json;
      } catch (error) {
        if (error instanceof PlacetoPayValidationError) {
          status = 400;
          json = {
            status: this.failed(
              'request_not_valid',
              error.problems.map((p) => `${p.field} ${p.message}`).join('; '),
            ),
          };
        } else if (error instanceof GatewayRefusal) {
          status = error.httpStatus;
          json = { status: this.failed(error.reason, error.message) };
        } else {
          status = 500;
          json = { status: this.failed('XX', 'Internal error of the simulator') };
        }
      }
    }
    const requestId = (json as { requestId?: number } | undefined)?.requestId;
    this.log(route.operation, req, fault ? 0 : status, requestId);
    if (fault) {
      this.applyFault(res, fault.fault);
      return;
    }
    this.send(res, status, json);
  }

  private createSession(site: SimulatorSite, body: Record<string, unknown>) {
    validateCreateSessionRequest(body as never, this.clock.now());
    const session = this.book.create(site, body);
    return {
      json: {
        status: {
          status: 'OK',
          reason: 'PC',
          message: 'The request has been processed successfully',
          date: wireDate(this.clock.now()),
        },
        requestId: session.requestId,
        processUrl: this.book.processUrl(session),
      },
    };
  }

  private cancelSession(site: SimulatorSite, requestId: number) {
    const session = this.book.get(site, requestId);
    this.book.cancelByMerchant(session);
    return {
      json: {
        status: this.ok('00', 'The session has been cancelled'),
        session: this.information(session),
      },
    };
  }

  private collect(site: SimulatorSite, body: Record<string, unknown>) {
    validateCollectRequest(body as never, this.clock.now());
    return { json: this.information(this.book.collect(site, body)) };
  }

  private transaction(site: SimulatorSite, body: Record<string, unknown>) {
    validateTransactionActionRequest(body as never);
    const action = body.action as string;
    const { session, tx } = this.book.findTransaction(site, body.internalReference as number);
    const amount = body.amount as { currency: string; total: number } | undefined;
    if (amount && amount.currency !== tx.amount.from.currency) {
      throw new GatewayRefusal(
        400,
        'request_not_valid',
        'The currency must be the one of the transaction',
      );
    }
    if (action === 'reverse') {
      const reversal = this.book.reverse(
        session,
        tx,
        amount ? toMinorUnits(amount.total, amount.currency) : undefined,
      );
      return {
        json: {
          status: this.approved('The transaction has been reversed'),
          payment: wireTransaction(reversal),
        },
      };
    }
    if (action === 'confirm' || action === 'cancel') {
      this.book.confirmOrCancel(tx, session, action);
      return { json: { status: { ...tx.status }, payment: wireTransaction(tx) } };
    }
    if (session.request.type !== 'checkin') {
      throw new GatewayRefusal(
        400,
        'request_not_valid',
        `The [${action}] action is not supported for this session`,
      );
    }
    tx.minor = toMinorUnits(amount!.total, amount!.currency);
    tx.amount = { from: { ...amount! }, to: { ...amount! }, factor: 1 };
    return {
      json: { status: this.approved(`The ${action} was processed`), payment: wireTransaction(tx) },
    };
  }

  private legacyReverse(site: SimulatorSite, body: Record<string, unknown>) {
    const internalReference = body.internalReference;
    if (
      typeof internalReference !== 'number' &&
      !(typeof internalReference === 'string' && /^\d+$/.test(internalReference))
    ) {
      throw new GatewayRefusal(400, 0, 'Invalid internal reference');
    }
    const { session, tx } = this.book.findTransaction(site, Number(internalReference));
    const reversal = this.book.reverse(session, tx);
    return {
      json: {
        status: this.approved('The transaction has been reversed'),
        payment: wireTransaction(reversal),
      },
    };
  }

  private invalidate(site: SimulatorSite, body: Record<string, unknown>) {
    const token =
      (body.instrument as { token?: { token?: string; subtoken?: string } } | undefined)?.token ??
      {};
    validateInvalidateTokenRequest({ ...token, locale: body.locale as string | undefined });
    this.book.invalidate(site, token.token, token.subtoken);
    return { json: { status: this.approved('The token has been invalidated') } };
  }

  /**
   * `POST /__simulator/faults/<operation>` with a fault as JSON body (`{"type":"latency","ms":50}`)
   * injects it; `POST /__simulator/faults` clears every fault.
   */
  private handleFaultControl(
    res: ServerResponse,
    operation: string | undefined,
    raw: string,
  ): void {
    if (operation === undefined) {
      this.faults.clear();
      this.send(res, 200, { cleared: true });
      return;
    }
    if (!(operation in this.calls)) {
      this.send(res, 404, { error: `no operation ${operation}` });
      return;
    }
    let fault: SimulatorFault;
    try {
      fault = JSON.parse(raw) as SimulatorFault;
    } catch {
      this.send(res, 400, { error: 'the body must be a fault as JSON' });
      return;
    }
    if (!FAULT_TYPES.has(fault?.type as string)) {
      this.send(res, 400, { error: `fault type must be one of ${[...FAULT_TYPES].join(', ')}` });
      return;
    }
    this.faults.inject(operation as SimulatorOperation, fault);
    this.send(res, 200, { injected: fault, operation });
  }

  private handleControl(res: ServerResponse, requestId: number, action: string): void {
    if (!this.book.find(requestId)) {
      this.send(res, 404, { error: `no session ${requestId}` });
      return;
    }
    try {
      if (action === 'approve') this.approve(requestId);
      else if (action === 'decline') this.decline(requestId);
      else if (action === 'reject') this.reject(requestId);
      else if (action === 'expire') this.expire(requestId);
      else this.cancelByBuyer(requestId);
    } catch (error) {
      this.send(res, 409, { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.send(res, 200, this.session(requestId));
  }

  private handlePage(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: number,
    key: string,
    raw: string,
  ): void {
    const session = this.book.find(requestId);
    if (!session || session.key !== key) {
      this.log('checkoutPage', req, 404);
      this.html(res, 404, unavailablePage());
      return;
    }
    const open = this.book.isOpen(session);
    if (req.method === 'GET') {
      this.log('checkoutPage', req, 200, requestId);
      if (!open) this.html(res, 410, unavailablePage());
      else if (this.book.inProcess(session))
        this.html(res, 200, resultPage(session, 'PENDING', false, 'A payment is in process'));
      else this.html(res, 200, checkoutPage(session));
      return;
    }
    const form = new URLSearchParams(raw);
    const returnUrl = String(session.request.returnUrl);
    if (!open) {
      this.log('checkoutPage', req, 410, requestId);
      this.html(res, 410, unavailablePage());
      return;
    }
    if (form.get('action') === 'cancel') {
      this.book.cancelByBuyer(session);
      this.log('checkoutPage', req, 303, requestId);
      this.redirect(res, String(session.request.cancelUrl ?? returnUrl));
      return;
    }
    const card = (form.get('card') ?? '').replace(/[\s-]/g, '');
    if (!luhnValid(card)) {
      this.log('checkoutPage', req, 422, requestId);
      this.html(res, 422, checkoutPage(session, 'The card number is not valid'));
      return;
    }
    let amountMinor: number | undefined;
    if (session.allowPartial && form.get('amount')) {
      const amount = Number(form.get('amount'));
      try {
        amountMinor = toMinorUnits(amount, session.currency ?? 'USD');
      } catch {
        amountMinor = -1;
      }
      if (!(amountMinor > 0)) {
        this.log('checkoutPage', req, 422, requestId);
        this.html(res, 422, checkoutPage(session, 'The amount is not valid'));
        return;
      }
    }
    const tx = this.book.pay(session, {
      cardNumber: card,
      amountMinor,
      subscribe: form.get('subscribe') === '1',
    });
    this.log('checkoutPage', req, session.request.skipResult === true ? 303 : 200, requestId);
    if (session.request.skipResult === true) {
      this.redirect(res, returnUrl);
      return;
    }
    const outcome = tx?.status.status ?? session.status.status;
    this.html(
      res,
      200,
      resultPage(session, outcome, this.book.isOpen(session) && !this.book.inProcess(session)),
    );
  }

  // ---- wire shapes -------------------------------------------------------------------------------

  private information(session: SimulatedSession): Record<string, unknown> {
    return {
      requestId: session.requestId,
      status: { ...session.status },
      request: session.request,
      payment: session.transactions.length ? session.transactions.map(wireTransaction) : null,
      subscription: session.subscription,
    };
  }

  private failed(reason: string | number, message: string): WireStatus {
    return { status: 'FAILED', reason, message, date: wireDate(this.clock.now()) };
  }

  private ok(reason: string, message: string): WireStatus {
    return { status: 'OK', reason, message, date: wireDate(this.clock.now()) };
  }

  private approved(message: string): WireStatus {
    return { status: 'APPROVED', reason: '00', message, date: wireDate(this.clock.now()) };
  }

  private log(
    operation: SimulatorRequestLogEntry['operation'],
    req: IncomingMessage,
    httpStatus: number,
    requestId?: number,
  ): void {
    this.requestLog.push({
      operation,
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0],
      httpStatus,
      requestId,
      at: new Date().toISOString(),
    });
  }

  private send(res: ServerResponse, status: number, json: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(json));
  }

  private html(res: ServerResponse, status: number, html: string): void {
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(html);
  }

  private redirect(res: ServerResponse, location: string): void {
    res.writeHead(303, { Location: location });
    res.end();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.waits.add(timer);
    });
  }

  private applyFault(res: ServerResponse, fault: import('./fault-injector').SimulatorFault): void {
    switch (fault.type) {
      case 'hang':
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status": {"status": "OK", "reason"');
        return;
      case 'trickle': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => res.write(' '), fault.everyMs);
        this.timers.add(timer);
        res.on('close', () => {
          clearInterval(timer);
          this.timers.delete(timer);
        });
        return;
      }
      case 'status': {
        const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
        if (fault.retryAfterSeconds !== undefined)
          headers['Retry-After'] = String(fault.retryAfterSeconds);
        res.writeHead(fault.status ?? 500, headers);
        res.end(fault.body ?? 'Service unavailable');
        return;
      }
    }
  }
}

function wireTransaction(tx: SimulatedTransaction): Record<string, unknown> {
  const {
    minor: _m,
    refundedMinor: _r,
    cardNumber: _c,
    pendingOutcome: _p,
    resolveAt: _a,
    ...wire
  } = tx;
  return { ...wire, status: { ...tx.status } };
}

function readBody(req: IncomingMessage): Promise<string> {
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
