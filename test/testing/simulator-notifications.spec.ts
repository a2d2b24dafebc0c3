import { checkNotificationSignature } from '../../lib/gateway/notification-signature';
import { ManualClock, signNotification } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY, sessionRequest } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { NotificationReceiver } from '../support/notification-receiver';
import { startHarness, type Harness } from '../support/simulator-harness';

type Notification = {
  requestId: number;
  reference: string;
  signature: string;
  status: { status: string; date: string };
};

describe('PlacetoPaySimulator notifications (docs/protocol.md §7)', () => {
  let h: Harness;
  let receiver: NotificationReceiver;
  let clock: ManualClock;
  const logs = captureLogs();

  async function boot(signatureAlgorithm: 'sha256' | 'sha1' = 'sha256') {
    receiver = await new NotificationReceiver().start();
    clock = new ManualClock();
    h = await startHarness(
      {
        clock,
        sites: [
          {
            login: LOGIN,
            secretKey: SECRET_KEY,
            notificationUrl: receiver.url,
            signatureAlgorithm,
          },
        ],
      },
      {},
      logs,
    );
  }

  afterEach(async () => {
    await h.close();
    await receiver.stop();
  });

  const bodies = () => receiver.received.map((r) => r.body as unknown as Notification);

  it('posts one signed JSON notification when a session becomes final, never again', async () => {
    await boot();
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.decline(requestId);
    await h.simulator.notifications.settled();
    expect(receiver.received).toHaveLength(0);

    h.simulator.approve(requestId);
    await h.simulator.notifications.settled();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].contentType).toBe('application/json');
    const [body] = bodies();
    expect(Object.keys(body).sort()).toEqual(['reference', 'requestId', 'signature', 'status']);
    expect(body).toMatchObject({
      requestId,
      reference: 'ORDER-1001',
      status: { status: 'APPROVED', reason: '00' },
    });
    expect(body.signature).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      checkNotificationSignature(body.signature, {
        requestId,
        status: body.status.status,
        date: body.status.date,
        secretKey: SECRET_KEY,
      }),
    ).toEqual({ valid: true, algorithm: 'sha256' });
    expect(body.signature).toBe(
      signNotification({
        requestId,
        status: 'APPROVED',
        date: body.status.date,
        secretKey: SECRET_KEY,
      }),
    );

    clock.advance(60 * 60_000);
    h.simulator.tick();
    await h.client.getSession(requestId);
    await h.simulator.notifications.settled();
    expect(receiver.received).toHaveLength(1);
  });

  it('does not retry when the merchant answers 500', async () => {
    await boot();
    receiver.answerStatus = 500;
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.reject(requestId);
    await h.simulator.notifications.settled();
    expect(receiver.received).toHaveLength(1);
    expect(h.simulator.notifications.sent).toEqual([
      expect.objectContaining({ responseStatus: 500 }),
    ]);
  });

  it('notifies expirations driven by the clock', async () => {
    await boot();
    const { requestId } = await h.client.createSession(sessionRequest());
    clock.advance(31 * 60_000);
    h.simulator.tick();
    await h.simulator.notifications.settled();
    expect(bodies()).toEqual([
      expect.objectContaining({
        requestId,
        status: expect.objectContaining({ status: 'REJECTED' }),
      }),
    ]);
  });

  it('signs with legacy SHA-1 (no prefix) for a SHA-1 site', async () => {
    await boot('sha1');
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.approve(requestId);
    await h.simulator.notifications.settled();
    const [body] = bodies();
    expect(body.signature).toMatch(/^[0-9a-f]{40}$/);
    expect(
      checkNotificationSignature(body.signature, {
        requestId,
        status: 'APPROVED',
        date: body.status.date,
        secretKey: SECRET_KEY,
      }),
    ).toEqual({ valid: true, algorithm: 'sha1' });
  });

  it('drops, duplicates, delays, reorders and mis-signs on request', async () => {
    await boot();
    const create = async () => (await h.client.createSession(sessionRequest())).requestId;

    h.simulator.notifications.behaviour = { drop: true };
    const dropped = await create();
    h.simulator.approve(dropped);
    await h.simulator.notifications.settled();
    expect(receiver.received).toHaveLength(0);
    expect(h.simulator.notifications.sent.at(-1)).toMatchObject({ dropped: true });

    h.simulator.notifications.behaviour = { duplicate: true };
    const duplicated = await create();
    h.simulator.approve(duplicated);
    await h.simulator.notifications.settled();
    expect(bodies().map((b) => b.requestId)).toEqual([duplicated, duplicated]);

    h.simulator.notifications.behaviour = { hold: true };
    const first = await create();
    const second = await create();
    h.simulator.approve(first);
    h.simulator.reject(second);
    expect(h.simulator.notifications.heldCount).toBe(2);
    h.simulator.notifications.releaseHeld({ reverse: true });
    await h.simulator.notifications.settled();
    expect(
      bodies()
        .slice(2)
        .map((b) => b.requestId),
    ).toEqual([second, first]);

    h.simulator.notifications.behaviour = { badSignature: true, delayMs: 20 };
    const forged = await create();
    h.simulator.approve(forged);
    await h.simulator.notifications.settled();
    const last = bodies().at(-1)!;
    expect(last.requestId).toBe(forged);
    expect(
      checkNotificationSignature(last.signature, {
        requestId: forged,
        status: 'APPROVED',
        date: last.status.date,
        secretKey: SECRET_KEY,
      }),
    ).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('re-sends a notification on demand, with overrides for tests', async () => {
    await boot();
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.approve(requestId);
    h.simulator.notify(requestId);
    h.simulator.notify(requestId, {
      status: {
        status: 'PENDING',
        reason: 'PT',
        message: 'old',
        date: '2020-01-01T00:00:00-05:00',
      },
    });
    await h.simulator.notifications.settled();
    expect(bodies().map((b) => b.status.status)).toEqual(['APPROVED', 'APPROVED', 'PENDING']);
    const stale = bodies()[2];
    expect(
      checkNotificationSignature(stale.signature, {
        requestId,
        status: 'PENDING',
        date: stale.status.date,
        secretKey: SECRET_KEY,
      }).valid,
    ).toBe(true);
  });
});
