import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayPayment,
  type CreatePaymentInput,
} from 'nestjs-placetopay';
import { ManualClock, type PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { EXPIRY_GRACE_MS } from '../../lib/probe/check-schedule';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { enginesUnderTest, type Engine, type TestDatabase } from '../support/databases';
import { SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { seedPayment, type PaymentsApp } from '../support/payments-app';
import { startSimulatedPayments, type SimulatedPayments } from '../support/simulated-payments';

const MINUTE = 60_000;
// startSimulatedPayments' timeoutMs.
const TIMEOUT_MS = 300;
let counter = 0;

function input(): CreatePaymentInput {
  return {
    reference: `UNCONFIRMED-${++counter}`,
    description: 'Probe test',
    amount: { currency: 'COP', total: 125000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    expiration: new Date(Date.now() + 20 * MINUTE).toISOString(),
  };
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'an unconfirmed redirect session on %s',
  (_name, engine: Engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    // The database's clock drives the probe's claims; no sleeps.
    let databaseClock: ManualClock;
    const logs = captureLogs();

    let harness: SimulatedPayments;

    beforeAll(async () => {
      harness = await startSimulatedPayments(engine, logs, {
        databaseClock: { now: async () => databaseClock.now() },
      });
      ({ app, simulator } = harness);
    });
    beforeEach(async () => {
      databaseClock = new ManualClock();
      simulator.faults.clear();
      // Each test starts from an empty table: nothing due but what it creates.
      await app.dataSource.query(`DELETE FROM placetopay_event_deliveries`);
      await app.dataSource.query(`DELETE FROM placetopay_payment_events`);
      await app.dataSource.query(`DELETE FROM placetopay_payments`);
    });
    afterAll(async () => {
      await harness?.close();
      expect(logs.text()).not.toContain(SECRET_KEY);
    });

    /** A create whose answer is lost after PlacetoPay took it (a timeout after sending): UNKNOWN. */
    async function unknownPayment(request: CreatePaymentInput) {
      simulator.faults.inject('createSession', { type: 'hang' }, { when: 'after', times: 1 });
      await expect(app.service.createPayment(request)).rejects.toMatchObject({ kind: 'timeout' });
      const payment = (await app.service.findByReference(request.reference))!;
      expect(payment).toMatchObject({ status: 'UNKNOWN', needsReview: true, requestId: null });
      return payment;
    }

    it('ends FAILED (expired_unconfirmed) once its expiration and the grace have passed', async () => {
      const request = input();
      const payment = await unknownPayment(request);
      const deadline = payment.expiresAt!.getTime() + EXPIRY_GRACE_MS + TIMEOUT_MS;
      expect(payment.nextCheckAt).toEqual(payment.expiresAt);

      // Before its expiration: nothing is due.
      databaseClock.set(payment.expiresAt!.getTime() - 1);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });

      // Expired, but within the grace: looked at, left UNKNOWN, due again at the deadline.
      databaseClock.set(payment.expiresAt!.getTime() + 1_000);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 1, expiredUnconfirmed: 0 });
      const waiting = (await app.repository.findById(payment.id))!;
      expect(waiting).toMatchObject({ status: 'UNKNOWN', leaseOwner: null });
      expect(waiting.nextCheckAt!.getTime()).toBe(deadline);
      await expect(app.service.createPayment({ ...request })).rejects.toMatchObject({
        code: 'placetopay_duplicate_payment',
      });

      databaseClock.set(deadline);
      const summary = await app.service.runProbe();
      expect(summary).toMatchObject({ claimed: 1, expiredUnconfirmed: 1, errors: 0 });
      expect(await app.repository.findById(payment.id)).toMatchObject({
        status: 'FAILED',
        statusReason: 'expired_unconfirmed',
        needsReview: false,
        openReference: null,
        nextCheckAt: null,
        leaseOwner: null,
      });
      const history = await app.repository.history(payment.id);
      expect(history.map((e) => [e.type, e.fromStatus, e.toStatus, e.source])).toEqual([
        ['payment.review_required', 'CREATING', 'UNKNOWN', 'create'],
        ['payment.expired_unconfirmed', 'UNKNOWN', 'FAILED', 'probe'],
      ]);
      expect(history[1].payload).toMatchObject({
        details: { expiresAt: payment.expiresAt!.toISOString() },
      });
      expect(logs.text()).toMatch(/expired unconfirmed 1/);

      // The reference is free again (the ended payment left the schedule: nextCheckAt is null).
      await expect(app.service.createPayment({ ...request })).resolves.toMatchObject({
        payment: { status: 'PENDING' },
      });
    });

    it('leaves an UNKNOWN collect charge alone: it had no buyer redirect', async () => {
      const charge = await seedPayment(app, PaymentStatus.UNKNOWN, {
        kind: 'collect',
        requestId: null,
        expiresAt: null,
        needsReview: true,
        nextCheckAt: null,
      });
      databaseClock.advance(30 * 24 * 60 * MINUTE);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0, expiredUnconfirmed: 0 });
      expect(await app.repository.findById(charge.id)).toMatchObject({
        status: 'UNKNOWN',
        needsReview: true,
      });
    });
  },
);

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'an unconfirmed redirect session written before the probe ended them, on %s',
  (_name, engine: Engine) => {
    const logs = captureLogs();
    const MIGRATION = 'ScheduleUnconfirmedSessions1764230940000';
    let database: TestDatabase;
    let harness: SimulatedPayments | undefined;

    beforeAll(async () => {
      database = engine.name === 'sqlite' ? sqliteFile() : await engine.create();
    });
    afterAll(async () => {
      await harness?.close();
      await database?.drop();
    });

    it('gets a check from the migration, and the probe ends it FAILED (expired_unconfirmed)', async () => {
      const databaseClock = new ManualClock();
      const expiresAt = new Date(databaseClock.now().getTime() + 20 * MINUTE);

      // The schema as it was before the migration, with rows written by the code of that time:
      // UNKNOWN, flagged for review, and no check date.
      const before = PLACETOPAY_MIGRATIONS.filter((m) => m.name !== MIGRATION);
      expect(before).toHaveLength(PLACETOPAY_MIGRATIONS.length - 1);
      const old = new DataSource({
        ...database.options,
        entities: PLACETOPAY_ENTITIES,
        migrations: before,
      });
      await old.initialize();
      try {
        await old.runMigrations();
        const row = (id: string, kind: PlacetoPayPayment['kind']) => ({
          id,
          reference: `OLD-${id}`,
          openReference: `OLD-${id}`,
          requestId: null,
          kind,
          description: 'Written before the migration',
          currency: 'COP',
          amountMinor: 12_500_000,
          status: PaymentStatus.UNKNOWN,
          statusReason: 'unknown',
          expiresAt,
          nextCheckAt: null,
          needsReview: true,
          reviewReason: 'creation outcome unknown',
          createdAt: new Date(expiresAt.getTime() - 30 * MINUTE),
          updatedAt: new Date(expiresAt.getTime() - 30 * MINUTE),
        });
        await old
          .getRepository(PlacetoPayPayment)
          .insert([row('old-redirect', 'payment'), row('old-collect', 'collect')]);
      } finally {
        await old.destroy();
      }

      // The app runs the pending migration at start-up (migrationsRun), on the same database.
      harness = await startSimulatedPayments(engine, logs, {
        database,
        databaseClock: { now: async () => databaseClock.now() },
      });
      const { app } = harness;
      expect(
        (await app.dataSource.query(`SELECT name FROM migrations`)).map(
          (m: { name: string }) => m.name,
        ),
      ).toContain(MIGRATION);
      expect(await app.repository.findById('old-redirect')).toMatchObject({
        nextCheckAt: expiresAt,
      });

      // Not due before its expiration; at its deadline the probe ends it and frees the reference.
      databaseClock.set(expiresAt.getTime() - 1);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });
      databaseClock.set(expiresAt.getTime() + EXPIRY_GRACE_MS + TIMEOUT_MS);
      expect(await app.service.runProbe()).toMatchObject({
        claimed: 1,
        expiredUnconfirmed: 1,
        errors: 0,
      });
      expect(await app.repository.findById('old-redirect')).toMatchObject({
        status: 'FAILED',
        statusReason: 'expired_unconfirmed',
        needsReview: false,
        openReference: null,
        nextCheckAt: null,
      });
      const history = await app.repository.history('old-redirect');
      expect(history.map((e) => [e.type, e.fromStatus, e.toStatus, e.source])).toEqual([
        ['payment.expired_unconfirmed', 'UNKNOWN', 'FAILED', 'probe'],
      ]);
      // The collect charge had no buyer redirect: still UNKNOWN, left to an operator.
      expect(await app.repository.findById('old-collect')).toMatchObject({
        status: 'UNKNOWN',
        needsReview: true,
        nextCheckAt: null,
      });
    });
  },
);

/** SQLite in a file: two connections in turn (before and after the migration) see one database. */
function sqliteFile(): TestDatabase {
  const file = join(mkdtempSync(join(tmpdir(), 'ptp-')), 'payments.sqlite');
  return {
    options: { type: 'better-sqlite3', database: file },
    drop: async () => rmSync(dirname(file), { recursive: true, force: true }),
  };
}
