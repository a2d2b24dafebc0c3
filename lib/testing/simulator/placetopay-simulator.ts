import { toMinorUnits } from '../../gateway/money';
import { ApiEndpoints } from './api-endpoints';
import { ApiRequestHandler } from './api-request-handler';
import { Authenticator } from './authenticate';
import { CheckoutHandler } from './checkout-handler';
import { ControlApi } from './control-api';
import { FaultInjector, type SimulatorOperation } from './fault-injector';
import { FaultResponses } from './fault-responses';
import type { SimulatorRequestLogEntry } from './http-exchange';
import { Notifier, type NotificationBody } from './notifier';
import { SessionBook } from './session-book';
import type { SimulatedSession } from './simulated-session';
import { systemClock, type SimulatorClock } from './simulator-clock';
import type { PlacetoPaySimulatorOptions, SimulatorSite } from './simulator-options';
import { SimulatorServer } from './simulator-server';
import { TEST_CARDS } from './test-cards';
import { sessionInformation } from './wire-shapes';

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
  private readonly server: SimulatorServer;
  private readonly faultResponses = new FaultResponses();
  private ticker?: NodeJS.Timeout;
  private address = '';

  constructor(private readonly options: PlacetoPaySimulatorOptions) {
    if (!options.sites?.length) throw new Error('PlacetoPaySimulator needs at least one site');
    this.sites = options.sites.map((site) => ({ signatureAlgorithm: 'sha256', ...site }));
    this.clock = options.clock ?? systemClock;
    this.book = new SessionBook({
      clock: this.clock,
      defaultExpirationMinutes: options.defaultExpirationMinutes ?? 30,
      attemptsLimit: options.attemptsLimit ?? 10,
      pendingResolutionMs: options.pendingResolutionMs ?? 5 * 60_000,
      baseUrl: () => this.url,
      onFinal: (session) => this.notifications.notify(session),
    });
    this.server = new SimulatorServer({
      api: new ApiRequestHandler({
        endpoints: new ApiEndpoints(this.book, this.clock),
        auth: new Authenticator(() => this.sites),
        faults: this.faults,
        faultResponses: this.faultResponses,
        calls: this.calls,
        requestLog: this.requestLog,
        clock: this.clock,
      }),
      checkout: new CheckoutHandler(this.book.lifecycle, this.requestLog),
      control: new ControlApi(this, this.book.lifecycle, this.faults, this.calls),
      options,
      requestLog: this.requestLog,
      clock: this.clock,
    });
  }

  /** Base URL to give as `PLACETOPAY_BASE_URL`, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (!this.address) throw new Error('PlacetoPaySimulator is not started');
    return this.address;
  }

  async start(): Promise<this> {
    if (this.server.listening) return this;
    this.faultResponses.start();
    this.address = await this.server.listen(
      this.options.port ?? 0,
      this.options.host ?? '127.0.0.1',
    );
    const tickMs = this.options.tickMs ?? 1000;
    if (tickMs > 0) {
      this.ticker = setInterval(() => this.tick(), tickMs);
      this.ticker.unref();
    }
    return this;
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.faultResponses.stop();
    await this.notifications.settled();
    await this.server.close();
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Applies what the clock has done to every session (expirations, pending resolutions). */
  tick(): void {
    for (const session of this.book.store.all()) this.book.lifecycle.refresh(session);
  }

  /** The session as a query would return it, plus the simulator's bookkeeping. */
  session(
    requestId: number,
  ):
    | (Record<string, unknown> & { site: string; expiresAt: string; processUrl: string })
    | undefined {
    const session = this.book.lifecycle.find(requestId);
    if (!session) return undefined;
    return {
      ...sessionInformation(session),
      site: session.site.login,
      expiresAt: new Date(session.expiresAt).toISOString(),
      processUrl: this.book.store.processUrl(session),
    };
  }

  /** Pays with an approving card (optionally only part of a partial session). */
  approve(requestId: number, options: { amount?: number; subscribe?: boolean } = {}): void {
    const session = this.mustFind(requestId);
    this.book.lifecycle.pay(session, {
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
    this.book.lifecycle.pay(this.mustFind(requestId), {
      cardNumber: TEST_CARDS.reject,
      behaviour: 'reject',
    });
  }

  /** A declined transaction and the session REJECTED, as when the buyer runs out of attempts. */
  reject(requestId: number): void {
    this.book.lifecycle.rejectSession(this.mustFind(requestId), TEST_CARDS.reject);
  }

  /** A pending transaction that resolves to `outcome` after `afterMs` of simulator time. */
  pend(requestId: number, outcome: 'APPROVED' | 'REJECTED', afterMs = 5 * 60_000): void {
    this.book.lifecycle.pay(this.mustFind(requestId), {
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
    this.book.lifecycle.resolvePending(session, tx, outcome ?? tx.pendingOutcome ?? 'APPROVED');
  }

  /** The buyer cancels on the checkout page. */
  cancelByBuyer(requestId: number): void {
    this.book.lifecycle.cancelByBuyer(this.mustFind(requestId));
  }

  /** Expires the session now (REJECTED, or PARTIAL_EXPIRED with a partial payment). */
  expire(requestId: number): void {
    this.book.lifecycle.expire(this.mustFind(requestId));
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
    const charge = this.book.recurring.charge(
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
    return this.book.instruments
      .of(login)
      .map(({ token, subtoken, lastDigits, valid }) => ({ token, subtoken, lastDigits, valid }));
  }

  private mustFind(requestId: number): SimulatedSession {
    const session = this.book.lifecycle.find(requestId);
    if (!session) throw new Error(`the simulator has no session ${requestId}`);
    return session;
  }
}
