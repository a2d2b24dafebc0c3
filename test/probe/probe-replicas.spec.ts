import { type ProbeSummary } from 'nestjs-placetopay';
import { DatabaseClock } from '../../lib/persistence/database-clock';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { enginesUnderTest } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

const ROOT = join(__dirname, '..', '..');
const postgres = enginesUnderTest().find((e) => e.name === 'postgres');

/** A replica in its own process (fixtures/probe-instance.ts). */
class Replica {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterableIterator<string>;
  private readonly reader: Interface;
  stderr = '';
  readonly exited: Promise<NodeJS.Signals | null>;

  constructor(settings: Record<string, unknown>) {
    this.child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        '-r',
        'tsconfig-paths/register',
        join(__dirname, 'fixtures', 'probe-instance.ts'),
        JSON.stringify(settings),
      ],
      { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } },
    );
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (_code, signal) => resolve(signal)),
    );
    this.reader = createInterface({ input: this.child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  async next(prefix: string): Promise<string> {
    for (;;) {
      const { value, done } = await this.lines.next();
      if (done) throw new Error(`replica ended before ${prefix}: ${this.stderr}`);
      if (value.startsWith(prefix)) return value.slice(prefix.length).trim();
    }
  }

  go(): void {
    this.child.stdin.write('GO\n');
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

(postgres ? describe : describe.skip)('the probe across replicas on PostgreSQL', () => {
  let simulator: PlacetoPaySimulator;
  let app: PaymentsApp;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
    app = await startPaymentsApp(
      postgres!,
      { baseUrl: simulator.url, eventPollMs: 0, queryAttempts: 1, timeoutMs: 10_000 },
      undefined,
      {
        // The database's own clock, which the test can move forward.
        databaseClock: {
          now: async () => new Date((await real.now()).getTime() + clockOffsetMs),
        },
      },
    );
    const real = new DatabaseClock(app.dataSource);
  });
  afterAll(async () => {
    await app?.close();
    await simulator?.stop();
  });
  beforeEach(async () => {
    simulator.faults.clear();
    simulator.requestLog.length = 0;
    clockOffsetMs = 0;
    await app.dataSource.query('DELETE FROM placetopay_event_deliveries');
    await app.dataSource.query('DELETE FROM placetopay_payment_events');
    await app.dataSource.query('DELETE FROM placetopay_payments');
  });

  let counter = 0;
  /** `count` payments with a session each, all due now. */
  async function seedDue(count: number): Promise<number[]> {
    const requestIds: number[] = [];
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, () =>
          app.service.createPayment({
            reference: `REPLICA-${++counter}`,
            description: 'replicas',
            amount: { currency: 'COP', total: 10_000 },
            returnUrl: 'https://shop.example.com/return',
            ipAddress: '127.0.0.1',
            userAgent: 'jest',
          }),
        ),
      );
      requestIds.push(...batch.map((created) => created.requestId));
    }
    await app.dataSource.query('UPDATE placetopay_payments SET "nextCheckAt" = 0');
    return requestIds;
  }

  const queriesPerSession = () => {
    const counts = new Map<number, number>();
    for (const entry of simulator.requestLog) {
      if (entry.operation === 'getSession' && entry.requestId !== undefined) {
        counts.set(entry.requestId, (counts.get(entry.requestId) ?? 0) + 1);
      }
    }
    return counts;
  };

  const settings = (overrides: Record<string, unknown> = {}) => ({
    databaseUrl: (postgres && (app.database.options as { url: string }).url) ?? '',
    simulatorUrl: simulator.url,
    timeoutMs: 10_000,
    leaseMs: 60_000,
    batchSize: 25,
    concurrency: 10,
    ...overrides,
  });

  it('three replicas in separate processes query each of 1,000 due payments exactly once', async () => {
    const requestIds = await seedDue(1_000);
    // A little latency, so the three passes overlap and compete for the same rows.
    simulator.faults.inject('getSession', { type: 'latency', ms: 5 });
    const replicas = [0, 1, 2].map(() => new Replica(settings()));
    try {
      await Promise.all(replicas.map((replica) => replica.next('READY')));
      for (const replica of replicas) replica.go();
      const summaries = (await Promise.all(replicas.map((r) => r.next('SUMMARY')))).map(
        (json) => JSON.parse(json) as ProbeSummary,
      );

      const counts = queriesPerSession();
      expect(requestIds.filter((id) => counts.get(id) !== 1)).toEqual([]);
      expect(counts.size).toBe(1_000);
      expect(summaries.reduce((sum, s) => sum + s.claimed, 0)).toBe(1_000);
      expect(summaries.reduce((sum, s) => sum + s.checked, 0)).toBe(1_000);
      expect(summaries.every((s) => s.errors === 0)).toBe(true);
      // The work was shared, not done by whoever started first.
      expect(summaries.filter((s) => s.claimed > 0).length).toBeGreaterThanOrEqual(2);
      const [row] = await app.dataSource.query(
        `SELECT COUNT(*) AS open FROM placetopay_payments
         WHERE "checkAttempts" <> 1 OR "leaseOwner" IS NOT NULL OR "nextCheckAt" <= $1`,
        [Date.now()],
      );
      expect(Number(row.open)).toBe(0);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
    expect(replicas.map((r) => r.stderr).join('')).toBe('');
  }, 120_000);

  it("takes over a killed replica's claims once their leases run out", async () => {
    const requestIds = await seedDue(60);
    // The doomed replica claims a batch and hangs on its queries.
    simulator.faults.inject('getSession', { type: 'hang' });
    const doomed = new Replica(settings({ batchSize: 50, concurrency: 10 }));
    await doomed.next('READY');
    const arrived = new Promise<void>((resolve) => {
      const original = simulator.requestLog.push.bind(simulator.requestLog);
      simulator.requestLog.push = (...entries) => {
        if (entries.some((e) => e.operation === 'getSession')) resolve();
        return original(...entries);
      };
    });
    doomed.go();
    await arrived;
    doomed.kill();
    expect(await doomed.exited).toBe('SIGKILL');
    simulator.faults.clear();

    const leased: Array<{ id: string }> = await app.dataSource.query(
      'SELECT id FROM placetopay_payments WHERE "leaseOwner" IS NOT NULL',
    );
    expect(leased).toHaveLength(50);
    const queriedBefore = queriesPerSession();

    // Leases still live: only the 10 payments the dead replica never claimed are checked.
    expect(await app.service.runProbe()).toMatchObject({ claimed: 10, checked: 10 });

    // Once the leases run out on the database's clock, the rest is taken over.
    clockOffsetMs = 60_000 + 1_000;
    expect(await app.service.runProbe()).toMatchObject({ claimed: 50, checked: 50, errors: 0 });
    const after = queriesPerSession();
    for (const id of requestIds) {
      // Exactly one answered query each; the killed replica's hung ones never got an answer.
      expect((after.get(id) ?? 0) - (queriedBefore.get(id) ?? 0)).toBe(1);
    }
    const [row] = await app.dataSource.query(
      `SELECT COUNT(*) AS open FROM placetopay_payments WHERE "checkAttempts" <> 1 OR "leaseOwner" IS NOT NULL`,
    );
    expect(Number(row.open)).toBe(0);
  }, 120_000);
});
