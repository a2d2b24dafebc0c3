import type { CreatePaymentInput } from 'nestjs-placetopay';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { enginesUnderTest } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

const MINUTE = 60_000;
const sqlite = enginesUnderTest()[0];

function input(reference: string, expiration: string): CreatePaymentInput {
  return {
    reference,
    description: 'Probe logging test',
    amount: { currency: 'COP', total: 125000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    expiration,
  };
}

/** The probe's summary lines since `from`, with their level. */
function passLines(lines: string[], from: number): string[] {
  return lines.slice(from).filter((line) => line.includes('probe pass:'));
}

describe('what a probe pass logs', () => {
  let app: PaymentsApp;
  let simulator: PlacetoPaySimulator;
  const gatewayClock = new ManualClock();
  const databaseClock = new ManualClock();
  const logs = captureLogs();

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
      clock: gatewayClock,
    }).start();
    app = await startPaymentsApp(
      sqlite,
      { baseUrl: simulator.url, eventPollMs: 0, verifyCredentials: 'off' },
      logs,
      { databaseClock: { now: async () => databaseClock.now() } },
    );
  });
  afterAll(async () => {
    await app?.close();
    await simulator.stop();
  });

  it('an idle pass (every minute on every replica) logs its summary at DEBUG, nothing at LOG', async () => {
    const before = logs.lines.length;
    await app.service.runProbe();
    const lines = passLines(logs.lines, before);
    expect(lines).toEqual([
      expect.stringMatching(
        /^debug probe pass: claimed 0, checked 0, .* in \d+ ms PlacetoPayProbe$/,
      ),
    ]);
    const probeLines = logs.lines.slice(before).filter((line) => line.endsWith('PlacetoPayProbe'));
    expect(probeLines.filter((line) => !line.startsWith('debug '))).toEqual([]);
  });

  it('a pass that settled something logs its summary at LOG', async () => {
    const expiration = new Date(Date.now() + 10 * MINUTE).toISOString();
    const { payment } = await app.service.createPayment(input('LOGGED-1', expiration));
    gatewayClock.set(Date.parse(expiration) + 30_000);
    databaseClock.set(payment.nextCheckAt!.getTime());
    const before = logs.lines.length;
    const summary = await app.service.runProbe();
    expect(summary).toMatchObject({ claimed: 1, settled: { REJECTED: 1 } });
    expect(passLines(logs.lines, before)).toEqual([
      expect.stringMatching(/^log probe pass: claimed 1, checked 1 \(REJECTED 1\), /),
    ]);
    expect(logs.text()).not.toContain(SECRET_KEY);
  });
});
