import { randomBytes, randomInt } from 'node:crypto';
import { currencyMinorUnits } from '../../gateway/money';
import type { PaymentRequest } from '../../gateway/wire/requests.types';
import type {
  SimulatedInstrument,
  SimulatedSession,
  SimulatedTransaction,
  WireStatus,
} from './simulated-session';
import { FINAL_SESSION_STATUSES } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { cardBehaviour, franchiseOf, type CardBehaviour } from './test-cards';
import { wireDate } from './wire-date';

/** A request the simulated gateway refuses; becomes a FAILED answer. */
export class GatewayRefusal extends Error {
  constructor(
    readonly httpStatus: number,
    readonly reason: string | number,
    message: string,
  ) {
    super(message);
  }
}

export interface BookSettings {
  clock: SimulatorClock;
  defaultExpirationMinutes: number;
  attemptsLimit: number;
  pendingResolutionMs: number;
  baseUrl: () => string;
}

export interface PaymentInput {
  cardNumber: string;
  /** Minor units; defaults to what is left to pay. Only partial sessions take less. */
  amountMinor?: number;
  subscribe?: boolean;
  /** Overrides the card's own behaviour (test controls). */
  behaviour?: CardBehaviour;
  pendingMs?: number;
}

const COLLECT_GUARD_MS = 24 * 60 * 60_000;
/** A declined recurring charge is retried once a day for 3 days, then the recurrence stops (§5.5). */
const RECURRING_MAX_TRIES = 4;

export interface RecurringCharge {
  tx: SimulatedTransaction;
  /** `payment.recurring.notificationUrl`, where the charge is notified; undefined when none. */
  notificationUrl?: string;
  recurring: { tries: number; enabled: boolean };
}

/** The simulated gateway's sessions, transactions and instruments, and every rule that moves them. */
export class SessionBook {
  private readonly sessions = new Map<number, SimulatedSession>();
  private readonly instruments = new Map<string, SimulatedInstrument>();
  private readonly collectGuard = new Map<string, { requestId: number; at: number }>();
  private nextRequestId = 1;
  private nextInternalReference = 1_000_000_001;

  /** Called with every session that just reached a final status. */
  onFinal: (session: SimulatedSession) => void = () => undefined;

  constructor(private readonly settings: BookSettings) {}

  private now(): number {
    return this.settings.clock.now().getTime();
  }

  private status(status: string, reason: string | number, message: string): WireStatus {
    return { status, reason, message, date: wireDate(new Date(this.now())) };
  }

  all(): SimulatedSession[] {
    return [...this.sessions.values()];
  }

  find(requestId: number): SimulatedSession | undefined {
    const session = this.sessions.get(requestId);
    if (session) this.refresh(session);
    return session;
  }

  /** Looks a session up for a site; a session of another site is refused like PlacetoPay does. */
  get(site: SimulatorSite, requestId: number): SimulatedSession {
    const session = this.find(requestId);
    if (!session)
      throw new GatewayRefusal(404, 'request_not_valid', 'The requested session does not exist');
    if (session.site.login !== site.login) {
      throw new GatewayRefusal(400, 'unauthorized', 'The session does not belong to your site');
    }
    return session;
  }

  create(
    site: SimulatorSite,
    request: Record<string, unknown>,
    kind: 'session' | 'collect' = 'session',
  ): SimulatedSession {
    const requestId = this.nextRequestId++;
    const key = randomBytes(16).toString('hex');
    const processUrl = `${this.settings.baseUrl()}/session/${requestId}/${key}`;
    const payment = request.payment as PaymentRequest | undefined;
    const subscription = request.subscription as { reference?: string } | undefined;
    const currency = payment?.amount?.currency;
    const digits = currency ? (currencyMinorUnits(currency) ?? 2) : 2;
    const now = this.now();
    const expiresAt =
      typeof request.expiration === 'string'
        ? Date.parse(request.expiration)
        : now + this.settings.defaultExpirationMinutes * 60_000;
    const fields = Array.isArray(request.fields) ? [...request.fields] : [];
    fields.push({ keyword: '_processUrl_', value: processUrl, displayOn: 'none' });
    // The echo never carries the instrument (token, CVV) of a collect.
    const { instrument: _instrument, ...echoed } = request;
    const echo: Record<string, unknown> = {
      ...echoed,
      fields,
      expiration: wireDate(new Date(expiresAt)),
    };
    if (kind === 'session') echo.locale = request.locale ?? 'es_CO';
    if (payment) echo.payment = { allowPartial: false, subscribe: false, ...payment };

    const session: SimulatedSession = {
      requestId,
      key,
      site,
      kind,
      request: echo,
      status: this.status('PENDING', 'PT', 'The request is pending'),
      createdAt: now,
      expiresAt,
      reference: payment?.reference ?? subscription?.reference ?? '',
      currency,
      totalMinor: payment ? Math.round(payment.amount.total * 10 ** digits) : 0,
      digits,
      allowPartial: payment?.allowPartial === true,
      paidMinor: 0,
      transactions: [],
      subscription: null,
      rejectedAttempts: 0,
      recurringCharges: [],
      recurrenceEnabled: payment?.recurring !== undefined,
    };
    this.sessions.set(requestId, session);
    return session;
  }

  processUrl(session: SimulatedSession): string {
    return `${this.settings.baseUrl()}/session/${session.requestId}/${session.key}`;
  }

  isOpen(session: SimulatedSession): boolean {
    this.refresh(session);
    return !FINAL_SESSION_STATUSES.has(session.status.status) && this.now() < session.expiresAt;
  }

  /** A transaction awaits the bank or the merchant's confirmation. */
  inProcess(session: SimulatedSession): boolean {
    return session.transactions.some(
      (tx) => tx.status.status === 'PENDING' || tx.status.status === 'PENDING_CONFIRMATION',
    );
  }

  /** The buyer pays on the checkout page (or a test control acts for them). */
  pay(session: SimulatedSession, input: PaymentInput): SimulatedTransaction | undefined {
    if (!this.isOpen(session))
      throw new GatewayRefusal(400, 'action_not_allowed', 'The session is no longer available');
    if (
      session.transactions.some(
        (tx) => tx.status.status === 'PENDING' || tx.status.status === 'PENDING_CONFIRMATION',
      )
    ) {
      throw new GatewayRefusal(400, 'action_not_allowed', 'The session has a payment in process');
    }
    const isSubscription =
      session.request.subscription !== undefined && session.request.payment === undefined;
    const behaviour = input.behaviour ?? cardBehaviour(input.cardNumber, this.usdAmount(session));
    if (isSubscription) {
      if (behaviour === 'reject' || behaviour === 'pending-reject')
        return this.decline(session, input.cardNumber, 0);
      session.subscription = this.subscriptionFor(session, input.cardNumber);
      this.settle(
        session,
        this.status('APPROVED', '00', 'The request has been approved successfully'),
      );
      return undefined;
    }

    const remaining = session.totalMinor - session.paidMinor;
    const amountMinor = session.allowPartial
      ? Math.min(input.amountMinor ?? remaining, remaining)
      : remaining;
    if (amountMinor <= 0)
      throw new GatewayRefusal(400, 'request_not_valid', 'The amount is not valid');

    const confirmation =
      (session.request.metadata as { requiresConfirmation?: boolean } | undefined)
        ?.requiresConfirmation === true;
    if (!confirmation && behaviour === 'reject') {
      return this.decline(session, input.cardNumber, amountMinor);
    }
    if (!confirmation && behaviour === 'approve') {
      return this.approveTransaction(session, input.cardNumber, amountMinor, input.subscribe);
    }

    const tx = this.transaction(
      session,
      input.cardNumber,
      amountMinor,
      confirmation
        ? this.status('PENDING_CONFIRMATION', 'PT', 'Pending confirmation')
        : this.status('PENDING', '?-', 'Pending: check with the bank'),
    );
    tx.pendingOutcome =
      behaviour === 'approve' || behaviour === 'pending-approve' ? 'APPROVED' : 'REJECTED';
    if (!confirmation) {
      tx.resolveAt = this.now() + (input.pendingMs ?? this.settings.pendingResolutionMs);
    }
    // A partly paid session stays APPROVED_PARTIAL while another payment is in process.
    if (session.paidMinor === 0) {
      session.status = this.status('PENDING', 'PT', 'The request is pending');
    }
    return tx;
  }

  /** The buyer gives up on the checkout page. */
  cancelByBuyer(session: SimulatedSession): void {
    if (!this.isOpen(session) || this.inProcess(session)) return;
    this.settle(
      session,
      this.status(
        session.paidMinor > 0 ? 'PARTIAL_EXPIRED' : 'REJECTED',
        '?C',
        'The payment was cancelled by the user',
      ),
    );
  }

  /** `POST /api/session/{id}/cancel`. */
  cancelByMerchant(session: SimulatedSession): void {
    this.refresh(session);
    const busy = session.transactions.some((tx) =>
      ['APPROVED', 'PENDING', 'PENDING_CONFIRMATION'].includes(tx.status.status),
    );
    if (session.status.status !== 'PENDING' || busy) {
      throw new GatewayRefusal(
        400,
        'action_not_allowed',
        'Sessions that are not pending cannot be cancelled',
      );
    }
    this.settle(
      session,
      this.status('REJECTED', 'MC', 'The session was cancelled by the merchant'),
    );
  }

  /** Test control: a declined transaction and the session REJECTED, as when the attempts run out. */
  rejectSession(session: SimulatedSession, cardNumber: string): void {
    if (!this.isOpen(session))
      throw new GatewayRefusal(400, 'action_not_allowed', 'The session is no longer available');
    this.transaction(
      session,
      cardNumber,
      session.totalMinor - session.paidMinor,
      this.status('REJECTED', '05', 'Rejected transaction'),
    );
    this.settle(session, this.status('REJECTED', 'XN', 'The request has been rejected'));
  }

  /** Test control: expire now. */
  expire(session: SimulatedSession): void {
    session.expiresAt = Math.min(session.expiresAt, this.now());
    this.refresh(session);
  }

  /** Applies what time has done: pending transactions resolved, expirations. */
  refresh(session: SimulatedSession): void {
    const now = this.now();
    for (const tx of session.transactions) {
      if (tx.status.status !== 'PENDING' || tx.resolveAt === undefined || tx.resolveAt > now)
        continue;
      this.resolvePending(session, tx, tx.pendingOutcome ?? 'REJECTED');
    }
    if (FINAL_SESSION_STATUSES.has(session.status.status) || now < session.expiresAt) return;
    if (session.transactions.some((tx) => tx.status.status === 'PENDING')) return;
    for (const tx of session.transactions) {
      if (tx.status.status === 'PENDING_CONFIRMATION')
        tx.status = this.status('REJECTED', 'EX', 'The confirmation window expired');
    }
    this.settle(
      session,
      session.paidMinor > 0
        ? this.status('PARTIAL_EXPIRED', 'PX', 'The session expired with a partial payment')
        : this.status('REJECTED', 'XN', 'The session has expired'),
    );
  }

  resolvePending(
    session: SimulatedSession,
    tx: SimulatedTransaction,
    outcome: 'APPROVED' | 'REJECTED',
  ): void {
    delete tx.resolveAt;
    delete tx.pendingOutcome;
    if (outcome === 'APPROVED') {
      tx.status = this.status('APPROVED', '00', 'Approved transaction');
      tx.authorization = String(randomInt(100000, 999999));
      this.credit(session, tx.minor, false, tx.cardNumber);
    } else {
      tx.status = this.status('REJECTED', '05', 'Rejected transaction');
      this.countRejection(session);
    }
  }

  confirmOrCancel(
    tx: SimulatedTransaction,
    session: SimulatedSession,
    action: 'confirm' | 'cancel',
  ): void {
    if (tx.status.status !== 'PENDING_CONFIRMATION') {
      throw new GatewayRefusal(
        400,
        'request_not_valid',
        `The [${action}] action is only available for transactions in a pending confirmation state`,
      );
    }
    if (action === 'confirm') {
      this.resolvePending(session, tx, tx.pendingOutcome ?? 'APPROVED');
      return;
    }
    tx.status = this.status('REJECTED', '?C', 'Cancelled by the merchant');
    this.settle(session, this.status('REJECTED', '?C', 'Cancelled by the merchant'));
  }

  findTransaction(
    site: SimulatorSite,
    internalReference: number,
  ): { session: SimulatedSession; tx: SimulatedTransaction } {
    for (const session of this.sessions.values()) {
      if (session.site.login !== site.login) continue;
      const tx = [...session.transactions, ...session.recurringCharges].find(
        (t) => t.internalReference === internalReference,
      );
      if (tx) {
        this.refresh(session);
        return { session, tx };
      }
    }
    throw new GatewayRefusal(
      400,
      'request_not_valid',
      'The transaction you are looking for does not exist',
    );
  }

  /**
   * PlacetoPay charges the recurrence of an approved session created with `payment.recurring`
   * (docs/protocol.md §5.5): a new transaction of the session's amount, with its own internalReference, on
   * the card of the approved payment. The recurrence is cancelled after the last try of a declined
   * charge, after `maxPeriods` approved charges, and past `dueDate`.
   */
  chargeRecurring(
    session: SimulatedSession,
    outcome: 'APPROVED' | 'REJECTED',
    tries: number,
  ): RecurringCharge {
    this.refresh(session);
    const recurring = (session.request.payment as PaymentRequest | undefined)?.recurring;
    const refuse = (message: string) => new GatewayRefusal(400, 'action_not_allowed', message);
    if (!recurring) throw refuse('The session has no recurrence');
    const paid = session.transactions.find((tx) => tx.status.status === 'APPROVED');
    if (session.status.status !== 'APPROVED' || !paid)
      throw refuse('Recurring charges only follow an approved payment');
    // "Today" as PlacetoPay sees it (Bogotá, UTC-5).
    const today = new Date(this.now() - 5 * 3_600_000).toISOString().slice(0, 10);
    if (recurring.dueDate && today > recurring.dueDate) session.recurrenceEnabled = false;
    if (!session.recurrenceEnabled) throw refuse('The recurrence was cancelled');
    if (!Number.isInteger(tries) || tries < 1 || tries > RECURRING_MAX_TRIES)
      throw refuse(`A recurring charge is tried 1 to ${RECURRING_MAX_TRIES} times`);

    const tx = this.buildTransaction(
      session,
      paid.cardNumber,
      session.totalMinor,
      outcome === 'APPROVED'
        ? this.status('APPROVED', '00', 'Approved transaction')
        : this.status('REJECTED', '05', 'Rejected transaction'),
    );
    if (outcome === 'APPROVED') tx.authorization = String(randomInt(100000, 999999));
    session.recurringCharges.unshift(tx);
    const periods = session.recurringCharges.filter((t) => t.status.status === 'APPROVED').length;
    if (
      (outcome === 'REJECTED' && tries >= RECURRING_MAX_TRIES) ||
      (recurring.maxPeriods !== -1 && periods >= recurring.maxPeriods)
    ) {
      session.recurrenceEnabled = false;
    }
    return {
      tx,
      notificationUrl: recurring.notificationUrl,
      recurring: { tries, enabled: session.recurrenceEnabled },
    };
  }

  /** Full or partial refund of an approved transaction; returns the reversal transaction. */
  reverse(
    session: SimulatedSession,
    tx: SimulatedTransaction,
    amountMinor?: number,
  ): SimulatedTransaction {
    if (tx.status.status !== 'APPROVED') {
      throw new GatewayRefusal(
        400,
        'request_not_valid',
        'Only approved transactions can be reversed',
      );
    }
    const left = tx.minor - tx.refundedMinor;
    if (left <= 0)
      throw new GatewayRefusal(400, 'request_not_valid', 'Transaction already refunded');
    const refund = amountMinor ?? left;
    if (refund <= 0 || refund > left)
      throw new GatewayRefusal(400, 'request_not_valid', 'The amount to refund is not valid');
    tx.refundedMinor += refund;
    tx.refunded = true;
    const reversal = this.buildTransaction(
      session,
      tx.cardNumber,
      refund,
      this.status('APPROVED', '00', 'Approved transaction'),
    );
    reversal.processorFields.push({
      keyword: 'reversedInternalReference',
      value: tx.internalReference,
      displayOn: 'none',
    });
    return reversal;
  }

  /** `POST /api/collect`: charges a stored token at once, with the 24-hour duplicate guard. */
  collect(site: SimulatorSite, request: Record<string, unknown>): SimulatedSession {
    const token = (
      request.instrument as { token?: { token?: string; subtoken?: string } } | undefined
    )?.token;
    const instrument = this.instrumentFor(site, token?.token, token?.subtoken);
    const payment = request.payment as PaymentRequest;
    const guardKey = `${site.login}|${payment.reference}|${payment.amount.total}|${payment.amount.currency}`;
    const previous = this.collectGuard.get(guardKey);
    if (previous && this.now() - previous.at < COLLECT_GUARD_MS)
      return this.sessions.get(previous.requestId)!;

    const session = this.create(site, request, 'collect');
    this.collectGuard.set(guardKey, { requestId: session.requestId, at: this.now() });
    const behaviour = cardBehaviour(instrument.cardNumber, this.usdAmount(session));
    if (behaviour === 'approve') {
      this.approveTransaction(session, instrument.cardNumber, session.totalMinor, false);
    } else if (behaviour === 'reject') {
      this.transaction(
        session,
        instrument.cardNumber,
        session.totalMinor,
        this.status('REJECTED', '05', 'Rejected transaction'),
      );
      this.settle(session, this.status('REJECTED', '05', 'The request has been rejected'));
    } else {
      const tx = this.transaction(
        session,
        instrument.cardNumber,
        session.totalMinor,
        this.status('PENDING', '?-', 'Pending: check with the bank'),
      );
      tx.pendingOutcome = behaviour === 'pending-approve' ? 'APPROVED' : 'REJECTED';
      tx.resolveAt = this.now() + this.settings.pendingResolutionMs;
    }
    return session;
  }

  invalidate(site: SimulatorSite, token?: string, subtoken?: string): void {
    const instrument = this.instrumentFor(site, token, subtoken);
    instrument.valid = false;
  }

  instrumentsOf(login: string): SimulatedInstrument[] {
    return [...this.instruments.values()].filter((i) => i.login === login);
  }

  private instrumentFor(
    site: SimulatorSite,
    token?: string,
    subtoken?: string,
  ): SimulatedInstrument {
    const instrument = [...this.instruments.values()].find(
      (i) =>
        i.login === site.login &&
        ((token && i.token === token) || (subtoken && i.subtoken === subtoken)),
    );
    if (!instrument || !instrument.valid)
      throw new GatewayRefusal(400, 'XN', 'The token used is invalid');
    return instrument;
  }

  private usdAmount(session: SimulatedSession): number {
    const total = session.totalMinor / 10 ** session.digits;
    return session.currency === 'COP' ? total / 4000 : total;
  }

  private decline(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
  ): SimulatedTransaction {
    const tx = this.transaction(
      session,
      cardNumber,
      amountMinor,
      this.status('REJECTED', '05', 'Rejected transaction'),
    );
    this.countRejection(session);
    return tx;
  }

  private countRejection(session: SimulatedSession): void {
    session.rejectedAttempts++;
    if (session.rejectedAttempts >= this.settings.attemptsLimit) {
      this.settle(
        session,
        session.paidMinor > 0
          ? this.status(
              'PARTIAL_EXPIRED',
              'PX',
              'The attempts limit was reached with a partial payment',
            )
          : this.status('REJECTED', 'XN', 'The request has been rejected: attempts limit reached'),
      );
    } else if (session.kind === 'collect') {
      this.settle(session, this.status('REJECTED', '05', 'The request has been rejected'));
    }
  }

  private approveTransaction(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
    subscribe?: boolean,
  ): SimulatedTransaction {
    const tx = this.transaction(
      session,
      cardNumber,
      amountMinor,
      this.status('APPROVED', '00', 'Approved transaction'),
    );
    tx.authorization = String(randomInt(100000, 999999));
    this.credit(session, amountMinor, subscribe === true, cardNumber);
    return tx;
  }

  private credit(
    session: SimulatedSession,
    amountMinor: number,
    subscribe: boolean,
    cardNumber: string,
  ): void {
    session.paidMinor += amountMinor;
    if (subscribe) session.subscription = this.subscriptionFor(session, cardNumber);
    if (session.paidMinor >= session.totalMinor) {
      this.settle(
        session,
        this.status('APPROVED', '00', 'The request has been approved successfully'),
      );
    } else {
      session.status = this.status(
        'APPROVED_PARTIAL',
        'P0',
        'The request has been partially approved',
      );
    }
  }

  private subscriptionFor(session: SimulatedSession, cardNumber: string): Record<string, unknown> {
    const franchise = franchiseOf(cardNumber);
    const instrument: SimulatedInstrument = {
      token: randomBytes(32).toString('hex'),
      subtoken: `${String(randomInt(100000000000, 999999999999))}${cardNumber.slice(-4)}`,
      login: session.site.login,
      cardNumber,
      franchise: franchise.paymentMethod,
      franchiseName: franchise.paymentMethodName,
      issuerName: franchise.issuerName,
      lastDigits: cardNumber.slice(-4),
      validUntil: `${new Date(this.now()).getUTCFullYear() + 3}-12-31`,
      valid: true,
    };
    this.instruments.set(instrument.token, instrument);
    const pairs = (
      [
        'token',
        'subtoken',
        'franchise',
        'franchiseName',
        'issuerName',
        'lastDigits',
        'validUntil',
      ] as const
    ).map((keyword): { keyword: string; value: unknown; displayOn: string } => ({
      keyword,
      value: instrument[keyword],
      displayOn: 'none',
    }));
    pairs.push({ keyword: 'installments', value: null, displayOn: 'none' });
    return {
      status: this.status('OK', '00', 'The payment method was subscribed'),
      type: 'token',
      instrument: pairs,
    };
  }

  private transaction(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
    status: WireStatus,
  ): SimulatedTransaction {
    const tx = this.buildTransaction(session, cardNumber, amountMinor, status);
    session.transactions.unshift(tx);
    return tx;
  }

  private buildTransaction(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
    status: WireStatus,
  ): SimulatedTransaction {
    const franchise = franchiseOf(cardNumber);
    const total = amountMinor / 10 ** session.digits;
    const currency = session.currency ?? 'USD';
    return {
      status,
      internalReference: this.nextInternalReference++,
      reference: session.reference,
      ...franchise,
      amount: { from: { currency, total }, to: { currency, total }, factor: 1 },
      authorization: '000000',
      receipt: String(randomInt(100000, 999999999)),
      refunded: false,
      processorFields: [
        { keyword: 'merchantCode', value: '7200076413', displayOn: 'none' },
        { keyword: 'terminalNumber', value: 'PT312002', displayOn: 'none' },
        { keyword: 'bin', value: cardNumber.slice(0, 6), displayOn: 'none' },
        { keyword: 'lastDigits', value: cardNumber.slice(-4), displayOn: 'none' },
      ],
      minor: amountMinor,
      refundedMinor: 0,
      cardNumber,
    };
  }

  private settle(session: SimulatedSession, status: WireStatus): void {
    if (FINAL_SESSION_STATUSES.has(session.status.status)) return;
    session.status = status;
    if (FINAL_SESSION_STATUSES.has(status.status)) this.onFinal(session);
  }
}
