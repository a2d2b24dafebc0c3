import type { PaymentRequest } from '../../gateway/wire/requests.types';
import type { InstrumentVault } from './instrument-vault';
import { usdAmount, type SessionLifecycle } from './session-lifecycle';
import type { SessionStore } from './session-store';
import type { SimulatedSession } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { cardBehaviour } from './test-cards';
import { statusStamp, type StatusStamp } from './wire-shapes';

const COLLECT_GUARD_MS = 24 * 60 * 60_000;

export interface CollectSettings {
  clock: SimulatorClock;
  pendingResolutionMs: number;
}

/** Charges of a stored token without the buyer (`POST /api/collect`). */
export class CollectCharges {
  private readonly guard = new Map<string, { requestId: number; at: number }>();
  private readonly status: StatusStamp;

  constructor(
    private readonly store: SessionStore,
    private readonly instruments: InstrumentVault,
    private readonly lifecycle: SessionLifecycle,
    private readonly settings: CollectSettings,
  ) {
    this.status = statusStamp(settings.clock);
  }

  private now(): number {
    return this.settings.clock.now().getTime();
  }

  /** `POST /api/collect`: charges a stored token at once, with the 24-hour duplicate guard. */
  collect(site: SimulatorSite, request: Record<string, unknown>): SimulatedSession {
    const token = (
      request.instrument as { token?: { token?: string; subtoken?: string } } | undefined
    )?.token;
    const instrument = this.instruments.find(site, token?.token, token?.subtoken);
    const payment = request.payment as PaymentRequest;
    const guardKey = `${site.login}|${payment.reference}|${payment.amount.total}|${payment.amount.currency}`;
    const previous = this.guard.get(guardKey);
    if (previous && this.now() - previous.at < COLLECT_GUARD_MS)
      return this.store.lookup(previous.requestId)!;

    const session = this.store.create(site, request, 'collect');
    this.guard.set(guardKey, { requestId: session.requestId, at: this.now() });
    const behaviour = cardBehaviour(instrument.cardNumber, usdAmount(session));
    if (behaviour === 'approve') {
      this.lifecycle.approveTransaction(session, instrument.cardNumber, session.totalMinor, false);
    } else if (behaviour === 'reject') {
      this.lifecycle.addTransaction(
        session,
        instrument.cardNumber,
        session.totalMinor,
        this.status('REJECTED', '05', 'Rejected transaction'),
      );
      this.lifecycle.settle(
        session,
        this.status('REJECTED', '05', 'The request has been rejected'),
      );
    } else {
      const tx = this.lifecycle.addTransaction(
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
}
