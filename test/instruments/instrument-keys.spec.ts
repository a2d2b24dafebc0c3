import { PlacetoPayConfigError, type CreatePaymentInput } from 'nestjs-placetopay';
import { resolvePlacetoPayOptions } from '../../lib/config/resolve-options';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enginesUnderTest } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

const sqlite = enginesUnderTest().find((engine) => engine.name === 'sqlite')!;
const BASE = {
  login: LOGIN,
  secretKey: SECRET_KEY,
  baseUrl: 'https://checkout-test.placetopay.com',
};

describe('the instrument key', () => {
  let simulator: PlacetoPaySimulator;
  const logs = captureLogs();

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
  });
  afterAll(() => simulator.stop());

  it('is validated at start-up, and never echoed', () => {
    const attempt = () =>
      resolvePlacetoPayOptions(
        { ...BASE, instrumentKey: 'not-a-key-but-a-secret', instrumentPreviousKeys: ['short'] },
        {},
      );
    expect(attempt).toThrow(PlacetoPayConfigError);
    expect(attempt).toThrow(/instrumentKey \(PLACETOPAY_INSTRUMENT_KEY\): must be 32 random bytes/);
    expect(attempt).toThrow(/instrumentPreviousKeys \(PLACETOPAY_INSTRUMENT_PREVIOUS_KEYS\)/);
    expect(attempt).not.toThrow(/not-a-key-but-a-secret/);
    const key = randomBytes(32).toString('hex');
    const old = randomBytes(32).toString('base64');
    expect(
      resolvePlacetoPayOptions(BASE, {
        PLACETOPAY_INSTRUMENT_KEY: key,
        PLACETOPAY_INSTRUMENT_PREVIOUS_KEYS: ` ${old} ,`,
      }),
    ).toMatchObject({ instrumentKey: key, instrumentPreviousKeys: [old] });
  });

  it('without a key, stored payment methods are refused and nothing is stored', async () => {
    const app = await startPaymentsApp(sqlite, { baseUrl: simulator.url }, logs);
    try {
      expect(logs.text()).toContain('no instrumentKey (PLACETOPAY_INSTRUMENT_KEY)');
      const subscription = {
        reference: 'NOKEY-1',
        description: 'Save my card',
        returnUrl: 'https://shop.example.com/cards',
        ipAddress: '127.0.0.1',
        userAgent: 'jest',
      };
      await expect(app.service.createSubscription(subscription)).rejects.toThrow(
        /instrumentKey \(PLACETOPAY_INSTRUMENT_KEY\): is required for createSubscription/,
      );
      const order: CreatePaymentInput = {
        ...subscription,
        amount: { currency: 'COP', total: 1000 },
        subscribe: true,
      };
      await expect(app.service.createPayment(order)).rejects.toBeInstanceOf(PlacetoPayConfigError);
      expect(await app.payments.count()).toBe(0);
      expect(simulator.calls.createSession).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('rotates: old tokens still charge under the previous key, and re-encryption moves them', async () => {
    const first = randomBytes(32).toString('hex');
    const second = randomBytes(32).toString('hex');
    // A file, not :memory:, so the restarted app finds what the first one stored.
    const file = join(tmpdir(), `ptp-rotate-${randomBytes(4).toString('hex')}.sqlite`);
    const database = {
      options: { type: 'better-sqlite3' as const, database: file },
      drop: async () => rmSync(file, { force: true }),
    };
    const boot = (instrumentKey: string, instrumentPreviousKeys: string[] = []) =>
      startPaymentsApp(
        sqlite,
        { baseUrl: simulator.url, instrumentKey, instrumentPreviousKeys },
        logs,
        { database },
      );
    let app: PaymentsApp | undefined;
    const restart = async (...args: Parameters<typeof boot>) => {
      await app?.close();
      app = undefined;
      app = await boot(...args);
      return app;
    };
    try {
      const firstApp = await restart(first);
      const { requestId, payment } = await firstApp.service.createSubscription({
        reference: 'ROTATE-1',
        description: 'Save my card',
        returnUrl: 'https://shop.example.com/cards',
        ipAddress: '127.0.0.1',
        userAgent: 'jest',
        payer: {
          name: 'Ana',
          surname: 'Gómez',
          email: 'ana@example.com',
          documentType: 'CC',
          document: '1040035000',
        },
      });
      simulator.approve(requestId);
      await firstApp.service.syncPayment(requestId);
      const [instrument] = await firstApp.service.listInstruments(payment.reference);
      const charge = (running: PaymentsApp, reference: string) =>
        running.service.chargeInstrument(instrument.id, {
          reference,
          description: 'charge',
          amount: { currency: 'COP', total: 5000 },
        });

      let running = await restart(second, [first]);
      expect((await charge(running, 'ROTATE-2')).payment.status).toBe('APPROVED');
      expect(await running.service.reencryptInstruments()).toBe(1);
      expect(await running.service.reencryptInstruments()).toBe(0);

      running = await restart(second);
      expect((await charge(running, 'ROTATE-3')).payment.status).toBe('APPROVED');

      // Without the key that encrypted it, the token cannot be read: a clear error, no charge.
      running = await restart(first);
      const collects = simulator.calls.collect;
      await expect(charge(running, 'ROTATE-4')).rejects.toThrow(/which is not configured/);
      expect(simulator.calls.collect).toBe(collects);
      expect(logs.text()).not.toContain(first);
      expect(logs.text()).not.toContain(second);
    } finally {
      await app?.close();
      await database.drop();
    }
  });
});
