import { randomInt } from 'node:crypto';
import { GatewayRefusal } from './gateway-refusal';
import type { InstrumentVault } from './instrument-vault';
import type { SessionStore } from './session-store';
import type { SimulatedSession, SimulatedTransaction, WireStatus } from './simulated-session';
import { FINAL_SESSION_STATUSES } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { cardBehaviour, type CardBehaviour } from './test-cards';
import { statusStamp, type StatusStamp } from './wire-shapes';

export interface LifecycleSettings {
  clock: SimulatorClock;
  attemptsLimit: number;
  pendingResolutionMs: number;
  /** Called with every session that just reached a final status. */
  onFinal: (session: SimulatedSession) => void;
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

/** The session's total in US dollars, for cards whose behaviour depends on the amount. */
export function usdAmount(session: SimulatedSession): number {
  const total = session.totalMinor / 10 ** session.digits;
  return session.currency === 'COP' ? total / 4000 : total;
}

/**
 * The life of a session: payments and their outcomes, pending resolutions, the attempts limit,
 * cancellations and expiry, up to the final status that is notified. Lookups through here apply
 * what time has done first.
 */
export class SessionLifecycle {
  private readonly status: StatusStamp;

  constructor(
    private readonly store: SessionStore,
    private readonly instruments: InstrumentVault,
    private readonly settings: LifecycleSettings,
  ) {
    this.status = statusStamp(settings.clock);
  }

  private now(): number {
    return this.settings.clock.now().getTime();
  }

  find(requestId: number): SimulatedSession | undefined {
    const session = this.store.lookup(requestId);
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
    if (this.inProcess(session)) {
      throw new GatewayRefusal(400, 'action_not_allowed', 'The session has a payment in process');
    }
    const isSubscription =
      session.request.subscription !== undefined && session.request.payment === undefined;
    const behaviour = input.behaviour ?? cardBehaviour(input.cardNumber, usdAmount(session));
    if (isSubscription) {
      if (behaviour === 'reject' || behaviour === 'pending-reject')
        return this.decline(session, input.cardNumber, 0);
      session.subscription = this.instruments.subscribe(session, input.cardNumber);
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

    const tx = this.addTransaction(
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
    this.addTransaction(
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

  /** An approved transaction of `amountMinor`, credited to the session. */
  approveTransaction(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
    subscribe?: boolean,
  ): SimulatedTransaction {
    const tx = this.addTransaction(
      session,
      cardNumber,
      amountMinor,
      this.status('APPROVED', '00', 'Approved transaction'),
    );
    tx.authorization = String(randomInt(100000, 999999));
    this.credit(session, amountMinor, subscribe === true, cardNumber);
    return tx;
  }

  /** A new transaction, listed first in the session's payments. */
  addTransaction(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
    status: WireStatus,
  ): SimulatedTransaction {
    const tx = this.store.newTransaction(session, cardNumber, amountMinor, status);
    session.transactions.unshift(tx);
    return tx;
  }

  /** Gives the session `status`, unless it is already final; a final status is notified. */
  settle(session: SimulatedSession, status: WireStatus): void {
    if (FINAL_SESSION_STATUSES.has(session.status.status)) return;
    session.status = status;
    if (FINAL_SESSION_STATUSES.has(status.status)) this.settings.onFinal(session);
  }

  private decline(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
  ): SimulatedTransaction {
    const tx = this.addTransaction(
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

  private credit(
    session: SimulatedSession,
    amountMinor: number,
    subscribe: boolean,
    cardNumber: string,
  ): void {
    session.paidMinor += amountMinor;
    if (subscribe) session.subscription = this.instruments.subscribe(session, cardNumber);
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
}
