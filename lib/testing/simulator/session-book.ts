import { CollectCharges } from './collect-charges';
import { InstrumentVault } from './instrument-vault';
import { RecurringCharges } from './recurring-charges';
import { SessionLifecycle } from './session-lifecycle';
import { SessionStore } from './session-store';
import type { SimulatedSession } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import { TransactionActions } from './transaction-actions';

export interface BookSettings {
  clock: SimulatorClock;
  defaultExpirationMinutes: number;
  attemptsLimit: number;
  pendingResolutionMs: number;
  baseUrl: () => string;
  /** Called with every session that just reached a final status. */
  onFinal: (session: SimulatedSession) => void;
}

/**
 * The simulated gateway's sessions, transactions and instruments, and every rule that moves them,
 * wired together: records, the session's life, transaction actions, collect and recurring charges.
 */
export class SessionBook {
  readonly store: SessionStore;
  readonly instruments: InstrumentVault;
  readonly lifecycle: SessionLifecycle;
  readonly transactions: TransactionActions;
  readonly collects: CollectCharges;
  readonly recurring: RecurringCharges;

  constructor(settings: BookSettings) {
    this.store = new SessionStore(settings);
    this.instruments = new InstrumentVault(settings.clock);
    this.lifecycle = new SessionLifecycle(this.store, this.instruments, settings);
    this.transactions = new TransactionActions(this.store, this.lifecycle, settings.clock);
    this.collects = new CollectCharges(this.store, this.instruments, this.lifecycle, settings);
    this.recurring = new RecurringCharges(this.store, this.lifecycle, settings.clock);
  }
}
