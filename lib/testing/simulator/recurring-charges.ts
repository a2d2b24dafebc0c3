import { randomInt } from 'node:crypto';
import type { PaymentRequest } from '../../gateway/wire/requests.types';
import { GatewayRefusal } from './gateway-refusal';
import type { SessionLifecycle } from './session-lifecycle';
import type { SessionStore } from './session-store';
import type { SimulatedSession, SimulatedTransaction } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import { statusStamp, type StatusStamp } from './wire-shapes';

/** A declined recurring charge is retried once a day for 3 days, then the recurrence stops (§5.5). */
const RECURRING_MAX_TRIES = 4;

export interface RecurringCharge {
  tx: SimulatedTransaction;
  /** `payment.recurring.notificationUrl`, where the charge is notified; undefined when none. */
  notificationUrl?: string;
  recurring: { tries: number; enabled: boolean };
}

/** The charges PlacetoPay makes on its own for sessions created with `payment.recurring`. */
export class RecurringCharges {
  private readonly status: StatusStamp;

  constructor(
    private readonly store: SessionStore,
    private readonly lifecycle: SessionLifecycle,
    private readonly clock: SimulatorClock,
  ) {
    this.status = statusStamp(clock);
  }

  /**
   * PlacetoPay charges the recurrence of an approved session created with `payment.recurring`
   * (docs/protocol.md §5.5): a new transaction of the session's amount, with its own internalReference, on
   * the card of the approved payment. The recurrence is cancelled after the last try of a declined
   * charge, after `maxPeriods` approved charges, and past `dueDate`.
   */
  charge(
    session: SimulatedSession,
    outcome: 'APPROVED' | 'REJECTED',
    tries: number,
  ): RecurringCharge {
    this.lifecycle.refresh(session);
    const recurring = (session.request.payment as PaymentRequest | undefined)?.recurring;
    const refuse = (message: string) => new GatewayRefusal(400, 'action_not_allowed', message);
    if (!recurring) throw refuse('The session has no recurrence');
    const paid = session.transactions.find((tx) => tx.status.status === 'APPROVED');
    if (session.status.status !== 'APPROVED' || !paid)
      throw refuse('Recurring charges only follow an approved payment');
    // "Today" as PlacetoPay sees it (Bogotá, UTC-5).
    const today = new Date(this.clock.now().getTime() - 5 * 3_600_000).toISOString().slice(0, 10);
    if (recurring.dueDate && today > recurring.dueDate) session.recurrenceEnabled = false;
    if (!session.recurrenceEnabled) throw refuse('The recurrence was cancelled');
    if (!Number.isInteger(tries) || tries < 1 || tries > RECURRING_MAX_TRIES)
      throw refuse(`A recurring charge is tried 1 to ${RECURRING_MAX_TRIES} times`);

    const tx = this.store.newTransaction(
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
}
