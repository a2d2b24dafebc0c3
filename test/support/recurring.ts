import { Injectable } from '@nestjs/common';
import {
  OnPlacetoPayEvent,
  PlacetoPayPayment,
  type CreatePaymentInput,
  type PlacetoPayEvent,
  type PlacetoPayService,
} from 'nestjs-placetopay';
import { PlacetoPayRecurringNotification } from '../../lib/persistence/placetopay-recurring-notification.entity';
import { RecurringNotificationInbox } from '../../lib/notifications/recurring-notification-inbox';
import { computeRecurringNotificationSignature } from '../../lib/gateway/notification-signature';
import { type CheckedRecurringNotification } from '../../lib/notifications/recurring-notification.guard';
import type { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import type { DataSource } from 'typeorm';
import { SECRET_KEY } from './fixtures';
import { postBody } from './webhook-app';

// What the recurring-charge suites share: the route, a recurring order paid at the simulator, a
// notification as PlacetoPay sends it, and a listener of the charges and their outcomes.

export const PATH = 'placetopay/recurring-notification';

export const DATE = '2026-12-27T10:00:00-05:00';

/** What the simulator posts to the recurring URL (the part the tests read). */
export interface RecurringNotificationBody {
  status: { date: string };
  signature: string;
}

/** Every `payment.recurring_charge` the host's listener received. */
export const charges: PlacetoPayEvent[] = [];
/** Every `payment.approved` / `payment.rejected` the host's listener received. */
export const outcomes: PlacetoPayEvent[] = [];

@Injectable()
export class RecurringChargeListener {
  @OnPlacetoPayEvent('payment.recurring_charge')
  charged(event: PlacetoPayEvent): void {
    charges.push(event);
  }

  @OnPlacetoPayEvent(['payment.approved', 'payment.rejected'])
  settled(event: PlacetoPayEvent): void {
    outcomes.push(event);
  }
}

/** Waits for the charges this process is settling, then delivers the events. */
export async function settleCharges(
  moduleRef: { get(type: typeof RecurringNotificationInbox): RecurringNotificationInbox },
  service: PlacetoPayService,
): Promise<void> {
  await moduleRef.get(RecurringNotificationInbox).idle();
  await service.deliverPendingEvents();
}

/** The payment rows (kind `recurring`) the charges of `parent` became, oldest charge first. */
export const chargeRowsOf = (dataSource: DataSource, parent: PlacetoPayPayment) =>
  dataSource
    .getRepository(PlacetoPayPayment)
    .find({ where: { parentPaymentId: parent.id }, order: { internalReference: 'ASC' } });

export function recurringOrder(reference: string, baseUrl: string): CreatePaymentInput {
  return {
    reference,
    description: 'Coffee subscription',
    amount: { currency: 'COP', total: 32000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    recurring: {
      periodicity: 'M',
      interval: 1,
      maxPeriods: -1,
      notificationUrl: `${baseUrl}/${PATH}`,
    },
  };
}

/** A recurring notification as PlacetoPay sends it (docs/protocol.md §7.2), signed with the analogue formula. */
export function recurringNotification(
  internalReference: number | string,
  reference: string,
  overrides: Record<string, unknown> = {},
  secretKey = SECRET_KEY,
) {
  return {
    status: { status: 'APPROVED', reason: '00', message: 'Approved transaction', date: DATE },
    internalReference,
    reference,
    signature: computeRecurringNotificationSignature({
      internalReference,
      status: 'APPROVED',
      date: DATE,
      secretKey,
    }),
    recurring: { tries: 1, enabled: true },
    ...overrides,
  };
}

/** A charge as the guard hands it to the inbox (for tests that call the inbox directly). */
export function checkedCharge(
  internalReference: number,
  reference: string,
  verified: boolean,
): CheckedRecurringNotification {
  return {
    internalReferenceText: String(internalReference),
    internalReference,
    status: 'APPROVED',
    date: DATE,
    reason: '00',
    message: null,
    reference,
    signature: `sha256:${'0'.repeat(64)}`,
    tries: 1,
    enabled: true,
    algorithm: 'sha256',
    verified,
    signatureProblem: verified ? null : 'mismatch',
  };
}

/** No secret key, tranKey, nonce or notification signature in what was logged. */
export function expectNoSecretIn(logged: string, simulator: PlacetoPaySimulator): void {
  expect(logged).not.toContain(SECRET_KEY);
  expect(logged).not.toMatch(/tranKey|nonce/i);
  const signatures = simulator.notifications.sent.map(
    ({ body }) => (body as { signature: string }).signature,
  );
  expect(signatures.length).toBeGreaterThan(0);
  for (const signature of signatures) expect(logged).not.toContain(signature.split(':').pop());
}

export const post = (base: string, body: unknown, contentType?: string, path = PATH) =>
  postBody(`${base}/${path}`, body, contentType);

/** Creates a recurring payment, has the buyer pay it at the simulator and settles it. */
export async function approvedRecurringPayment(
  simulator: PlacetoPaySimulator,
  service: PlacetoPayService,
  reference: string,
  baseUrl: string,
): Promise<PlacetoPayPayment> {
  const { requestId } = await service.createPayment(recurringOrder(reference, baseUrl));
  simulator.approve(requestId);
  const payment = await service.syncPayment(requestId);
  expect(payment.status).toBe('APPROVED');
  return payment;
}

export const rowsOf = (dataSource: DataSource) =>
  dataSource
    .getRepository(PlacetoPayRecurringNotification)
    .find({ order: { internalReference: 'ASC' } });

/** What a recurring charge must never touch. */
export const settledFacts = (p: PlacetoPayPayment) => ({
  status: p.status,
  amountMinor: p.amountMinor,
  paidMinor: p.paidMinor,
  refunded: p.refunded,
  refundedMinor: p.refundedMinor,
  internalReference: p.internalReference,
  needsReview: p.needsReview,
});
