import type { SimulatedSession, SimulatedTransaction, WireStatus } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import { wireDate } from './wire-date';

/** Makes a status dated now, by the simulator's clock. */
export type StatusStamp = (status: string, reason: string | number, message: string) => WireStatus;

export function statusStamp(clock: SimulatorClock): StatusStamp {
  return (status, reason, message) => ({ status, reason, message, date: wireDate(clock.now()) });
}

/**
 * A session as a query returns it: the echoed request, its status, payments and subscription. The
 * charges PlacetoPay made on its recurrence are listed in `payment[]` too, newest first, each with
 * its own internalReference and status, while the session keeps its own status (docs/protocol.md
 * §7.2: what the module relies on to find a charge's amount; UNCERTAIN at PlacetoPay).
 */
export function sessionInformation(session: SimulatedSession): Record<string, unknown> {
  const transactions = [...session.recurringCharges, ...session.transactions];
  return {
    requestId: session.requestId,
    status: { ...session.status },
    request: session.request,
    payment: transactions.length ? transactions.map(wireTransaction) : null,
    subscription: session.subscription,
  };
}

/** A transaction as PlacetoPay lists it, without the simulator's bookkeeping. */
export function wireTransaction(tx: SimulatedTransaction): Record<string, unknown> {
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
