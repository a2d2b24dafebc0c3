import { GatewayRefusal } from './gateway-refusal';
import type { SessionLifecycle } from './session-lifecycle';
import type { SessionStore } from './session-store';
import type { SimulatedSession, SimulatedTransaction } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { statusStamp, type StatusStamp } from './wire-shapes';

/** What a merchant does to one transaction: find it, reverse it, confirm or cancel it. */
export class TransactionActions {
  private readonly status: StatusStamp;

  constructor(
    private readonly store: SessionStore,
    private readonly lifecycle: SessionLifecycle,
    clock: SimulatorClock,
  ) {
    this.status = statusStamp(clock);
  }

  /** The transaction of `site` with this internalReference, its session brought up to date. */
  find(
    site: SimulatorSite,
    internalReference: number,
  ): { session: SimulatedSession; tx: SimulatedTransaction } {
    const found = this.store.transactionOf(site, internalReference);
    if (found) {
      this.lifecycle.refresh(found.session);
      return found;
    }
    throw new GatewayRefusal(
      400,
      'request_not_valid',
      'The transaction you are looking for does not exist',
    );
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
    const reversal = this.store.newTransaction(
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
      this.lifecycle.resolvePending(session, tx, tx.pendingOutcome ?? 'APPROVED');
      return;
    }
    tx.status = this.status('REJECTED', '?C', 'Cancelled by the merchant');
    this.lifecycle.settle(session, this.status('REJECTED', '?C', 'Cancelled by the merchant'));
  }
}
