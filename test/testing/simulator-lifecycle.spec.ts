import { ManualClock } from 'nestjs-placetopay/testing';
import { sessionRequest } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startHarness, type Harness } from '../support/simulator-harness';

const MINUTE = 60_000;

describe('PlacetoPaySimulator session life (docs/protocol.md §8-§9)', () => {
  let h: Harness;
  let clock: ManualClock;
  const logs = captureLogs();

  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    h = await startHarness({ clock, attemptsLimit: 3 }, {}, logs);
  });
  afterEach(() => h.close());

  const status = async (requestId: number) => (await h.client.getSession(requestId)).status;

  it('expires a pending session after 30 minutes by default: REJECTED', async () => {
    const { requestId } = await h.client.createSession(sessionRequest({ expiration: undefined }));
    clock.advance(29 * MINUTE);
    h.simulator.tick();
    expect((await status(requestId)).status).toBe('PENDING');
    clock.advance(1 * MINUTE);
    expect((await status(requestId)).status).toBe('REJECTED');
  });

  it('honours the expiration of the request', async () => {
    const { requestId } = await h.client.createSession(
      sessionRequest({ expiration: new Date(clock.now().getTime() + 10 * MINUTE).toISOString() }),
    );
    clock.advance(10 * MINUTE - 1);
    expect((await status(requestId)).status).toBe('PENDING');
    clock.advance(1);
    expect((await status(requestId)).status).toBe('REJECTED');
  });

  it('keeps a session open after a declined attempt, until the attempts limit', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.decline(requestId);
    h.simulator.decline(requestId);
    const info = await h.client.getSession(requestId);
    expect(info.status.status).toBe('PENDING');
    expect(info.payment.map((tx) => tx.status.status)).toEqual(['REJECTED', 'REJECTED']);
    h.simulator.decline(requestId);
    expect((await status(requestId)).status).toBe('REJECTED');
  });

  it('approves after a decline, and stays APPROVED (final) whatever happens next', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.decline(requestId);
    h.simulator.approve(requestId);
    const info = await h.client.getSession(requestId);
    expect(info.status.status).toBe('APPROVED');
    expect(info.payment.map((tx) => tx.status.status)).toEqual(['APPROVED', 'REJECTED']);
    clock.advance(60 * MINUTE);
    expect((await status(requestId)).status).toBe('APPROVED');
    expect(() => h.simulator.approve(requestId)).toThrow();
  });

  it('resolves a pending transaction later, even past the expiration', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.pend(requestId, 'APPROVED', 45 * MINUTE);
    clock.advance(31 * MINUTE);
    const pending = await h.client.getSession(requestId);
    expect(pending.status.status).toBe('PENDING');
    expect(pending.payment[0].status).toMatchObject({ status: 'PENDING', reason: '?-' });
    clock.advance(14 * MINUTE);
    expect((await status(requestId)).status).toBe('APPROVED');
  });

  it('resolves a pending-then-rejected card to a rejected transaction; the session then expires', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.pend(requestId, 'REJECTED', 5 * MINUTE);
    clock.advance(5 * MINUTE);
    const info = await h.client.getSession(requestId);
    expect(info.payment[0].status.status).toBe('REJECTED');
    expect(info.status.status).toBe('PENDING');
    clock.advance(26 * MINUTE);
    expect((await status(requestId)).status).toBe('REJECTED');
  });

  it('takes partial payments: APPROVED_PARTIAL, then APPROVED or PARTIAL_EXPIRED', async () => {
    const partial = sessionRequest({
      payment: {
        reference: 'MIX-1',
        description: 'Mixed',
        amount: { currency: 'USD', total: 100 },
        allowPartial: true,
      },
    });
    const a = await h.client.createSession(partial);
    h.simulator.approve(a.requestId, { amount: 40 });
    expect(await status(a.requestId)).toMatchObject({ status: 'APPROVED_PARTIAL' });
    h.simulator.approve(a.requestId, { amount: 60 });
    const done = await h.client.getSession(a.requestId);
    expect(done.status.status).toBe('APPROVED');
    expect(done.payment.map((tx) => tx.amount?.from.total)).toEqual([60, 40]);

    const b = await h.client.createSession({
      ...partial,
      payment: { ...partial.payment!, reference: 'MIX-2' },
    });
    h.simulator.approve(b.requestId, { amount: 25.5 });
    clock.advance(31 * MINUTE);
    expect(await status(b.requestId)).toMatchObject({ status: 'PARTIAL_EXPIRED', reason: 'PX' });
  });

  it('lets the buyer cancel (REJECTED, reason ?C) and expire() end a session at once', async () => {
    const a = await h.client.createSession(sessionRequest());
    h.simulator.cancelByBuyer(a.requestId);
    expect(await status(a.requestId)).toMatchObject({ status: 'REJECTED', reason: '?C' });
    const b = await h.client.createSession(sessionRequest());
    h.simulator.expire(b.requestId);
    expect((await status(b.requestId)).status).toBe('REJECTED');
  });

  it('does not let the merchant cancel a session with a payment in process', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.pend(requestId, 'APPROVED');
    await expect(h.client.cancelSession(requestId)).rejects.toMatchObject({
      reason: 'action_not_allowed',
    });
  });

  it('runs the confirmation flow: PENDING_CONFIRMATION, then confirm or cancel', async () => {
    const a = await h.client.createSession(
      sessionRequest({ metadata: { requiresConfirmation: true } }),
    );
    h.simulator.pend(a.requestId, 'APPROVED');
    const [tx] = (await h.client.getSession(a.requestId)).payment;
    expect(tx.status.status).toBe('PENDING_CONFIRMATION');
    await h.client.transaction({ internalReference: tx.internalReference!, action: 'confirm' });
    expect((await status(a.requestId)).status).toBe('APPROVED');

    const b = await h.client.createSession(
      sessionRequest({ metadata: { requiresConfirmation: true } }),
    );
    h.simulator.pend(b.requestId, 'APPROVED');
    const [txB] = (await h.client.getSession(b.requestId)).payment;
    const cancelled = await h.client.transaction({
      internalReference: txB.internalReference!,
      action: 'cancel',
    });
    expect(cancelled.status).toMatchObject({ status: 'REJECTED', reason: '?C' });
    expect((await status(b.requestId)).status).toBe('REJECTED');
  });

  it('charges a stored token again after 24 hours (the duplicate guard is a 24-hour window)', async () => {
    const sub = await h.client.createSession(
      sessionRequest({ payment: undefined, subscription: { reference: 'S', description: 'Card' } }),
    );
    h.simulator.approve(sub.requestId);
    const [{ token }] = h.simulator.instruments(h.simulator.session(sub.requestId)!.site);
    const charge = {
      payment: { reference: 'C-1', description: 'Monthly', amount: { currency: 'USD', total: 10 } },
      instrument: { token: { token } },
      payer: { name: 'Ana', surname: 'Gómez', email: 'ana@example.com' },
      ipAddress: '127.0.0.1',
      userAgent: 'cron',
    };
    const first = await h.client.collect(charge);
    clock.advance(23 * 60 * MINUTE);
    expect((await h.client.collect(charge)).requestId).toBe(first.requestId);
    clock.advance(61 * MINUTE);
    expect((await h.client.collect(charge)).requestId).not.toBe(first.requestId);
  });

  it('keeps a partly paid session APPROVED_PARTIAL while another payment is pending', async () => {
    const { requestId } = await h.client.createSession(
      sessionRequest({
        payment: {
          reference: 'MIX-3',
          description: 'Mixed',
          amount: { currency: 'USD', total: 100 },
          allowPartial: true,
        },
      }),
    );
    h.simulator.approve(requestId, { amount: 40 });
    h.simulator.pend(requestId, 'REJECTED', MINUTE);
    expect((await status(requestId)).status).toBe('APPROVED_PARTIAL');
    clock.advance(MINUTE);
    expect((await status(requestId)).status).toBe('APPROVED_PARTIAL');
  });

  it('does not let the buyer cancel while a payment is in process', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.pend(requestId, 'APPROVED', MINUTE);
    h.simulator.cancelByBuyer(requestId);
    expect((await status(requestId)).status).toBe('PENDING');
    clock.advance(MINUTE);
    expect((await status(requestId)).status).toBe('APPROVED');
  });

  it('sends every card through confirmation when the session requires it', async () => {
    const { requestId } = await h.client.createSession(
      sessionRequest({ metadata: { requiresConfirmation: true } }),
    );
    h.simulator.approve(requestId);
    const [tx] = (await h.client.getSession(requestId)).payment;
    expect(tx.status.status).toBe('PENDING_CONFIRMATION');
  });

  it('never echoes the token or CVV of a collect', async () => {
    const sub = await h.client.createSession(
      sessionRequest({
        payment: undefined,
        subscription: { reference: 'S2', description: 'Card' },
      }),
    );
    h.simulator.approve(sub.requestId);
    const [{ token }] = h.simulator.instruments(h.simulator.session(sub.requestId)!.site);
    const charge = await h.client.collect({
      payment: { reference: 'C-9', description: 'Monthly', amount: { currency: 'USD', total: 10 } },
      instrument: { token: { token, cvv: '123' } },
      payer: { name: 'Ana', surname: 'Gómez', email: 'ana@example.com' },
      ipAddress: '127.0.0.1',
      userAgent: 'cron',
    });
    const echoed = JSON.stringify([charge, await h.client.getSession(charge.requestId)]);
    expect(echoed).not.toContain(token);
    expect(echoed).not.toContain('"cvv"');
  });
});
