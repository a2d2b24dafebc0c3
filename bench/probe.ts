// bench/probe: the probe on PostgreSQL, the simulator in its own process.
// - time: 10,000 due payments, the simulator adding 50 ms to each session query, concurrency 20.
//   Prints the wall time, the ideal (payments x latency / concurrency) and their ratio
//   (target <= 1.15).
// - memory: the peak RSS of a pass over 1,000 and over 100,000 due payments (no added latency),
//   each pass in a fresh process; the growth between the two (target <= 64 MB). Measured under
//   V8's default heap policy (which lets garbage pile up longer in a longer pass), and again with
//   the old generation capped at 96 MB, where a pass that held every payment could not finish;
//   plus the heap left after a full collection.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayClient,
  PlacetoPayModule,
  PlacetoPayPayment,
} from 'nestjs-placetopay';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createBenchDatabase } from './bench-database';
import { reportResult } from './bench-result';
import { runScript, startSimulatorProcess } from './processes';

const TIMED = Number(process.env.BENCH_PROBE_PAYMENTS ?? 10_000);
const LATENCY_MS = 50;
const CONCURRENCY = 20;
const SMALL = 1_000;
const LARGE = Number(process.env.BENCH_PROBE_LARGE ?? 100_000);
const LOGIN = 'bench-login';
const SECRET = 'bench-secret-key';
const OLD_SPACE_CAP_MB = 96;

interface PassResult {
  summary: { claimed: number; checked: number; errors: number };
  wallMs: number;
  loopBusy: number;
  rssBeforeMb: number;
  peakRssMb: number;
  heapBeforeMb: number;
  heapAfterMb: number;
}

async function main(): Promise<void> {
  const database = await createBenchDatabase();
  const databaseUrl = database.url;

  const { url: simulatorUrl, child: simulatorProcess } = await startSimulatorProcess(LOGIN, SECRET);
  const fault = (path: string, body?: unknown) =>
    fetch(`${simulatorUrl}/__simulator/faults${path}`, {
      method: 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const dataSource = await new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: PLACETOPAY_ENTITIES,
    migrations: PLACETOPAY_MIGRATIONS,
    migrationsRun: true,
  }).initialize();
  @Module({
    imports: [
      PlacetoPayModule.forRoot({
        clientOnly: true,
        login: LOGIN,
        secretKey: SECRET,
        baseUrl: simulatorUrl,
      }),
    ],
  })
  class SeedModule {}
  const seeder = await NestFactory.createApplicationContext(SeedModule, { logger: ['error'] });
  const client = seeder.get(PlacetoPayClient);
  let seeded = 0;

  /** `count` more sessions at the simulator, each with its PENDING payment row. */
  async function seed(count: number): Promise<void> {
    const now = new Date();
    for (let i = 0; i < count; i += 500) {
      const sessions = await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, (_, j) =>
          client.createSession({
            payment: {
              reference: `P-${seeded + i + j}`,
              description: 'bench',
              amount: { currency: 'COP', total: 10_000 },
            },
            expiration: new Date(Date.now() + 24 * 3_600_000).toISOString(),
            returnUrl: 'https://shop.example.com/return',
            ipAddress: '127.0.0.1',
            userAgent: 'bench',
          }),
        ),
      );
      await dataSource.getRepository(PlacetoPayPayment).insert(
        sessions.map((session, j) => ({
          id: randomUUID(),
          reference: `P-${seeded + i + j}`,
          openReference: null,
          requestId: session.requestId,
          kind: 'payment' as const,
          processUrl: session.processUrl,
          description: 'bench',
          currency: 'COP',
          amountMinor: 1_000_000,
          paidMinor: 0,
          allowPartial: false,
          status: PaymentStatus.PENDING,
          statusReason: 'PC',
          statusMessage: null,
          statusDate: null,
          expiresAt: new Date(Date.now() + 24 * 3_600_000),
          needsReview: false,
          refunded: false,
          refundedMinor: 0,
          nextCheckAt: new Date(0),
          checkAttempts: 0,
          createdAt: now,
          updatedAt: now,
          version: 1,
        })),
      );
    }
    seeded += count;
  }
  /** Makes exactly `count` payments due now; the rest wait 12 minutes. */
  async function makeDue(count: number): Promise<void> {
    await dataSource.query(`UPDATE placetopay_payments SET "nextCheckAt" = $1`, [
      Date.now() + 720_000,
    ]);
    await dataSource.query(
      `UPDATE placetopay_payments SET "nextCheckAt" = 0
       WHERE id IN (SELECT id FROM placetopay_payments ORDER BY id LIMIT $1)`,
      [count],
    );
  }
  async function pass(v8Flags: string[] = [], concurrency = CONCURRENCY): Promise<PassResult> {
    const child = runScript(
      'probe-pass',
      [
        JSON.stringify({
          databaseUrl,
          simulatorUrl,
          login: LOGIN,
          secretKey: SECRET,
          concurrency,
          batchSize: 50,
        }),
      ],
      ['--expose-gc', ...v8Flags],
    );
    let out = '';
    for await (const chunk of child.stdout!) out += chunk;
    return JSON.parse(out) as PassResult;
  }

  const seedStarted = performance.now();
  await seed(TIMED);
  process.stdout.write(
    `seeded ${TIMED} payments in ${Math.round(performance.now() - seedStarted)} ms\n`,
  );

  await fault('/getSession', { type: 'latency', ms: LATENCY_MS });
  await makeDue(TIMED);
  const timed = await pass();
  await fault('');
  const ideal = (TIMED * LATENCY_MS) / CONCURRENCY;
  const ratio = timed.wallMs / ideal;

  // Peak RSS under V8's default heap policy, and with the old generation capped as a container
  // would (a pass that held every payment would run out of heap there).
  const CAP = [`--max-old-space-size=${OLD_SPACE_CAP_MB}`];
  await makeDue(SMALL);
  const small = await pass();
  await makeDue(SMALL);
  const smallCapped = await pass(CAP);
  await seed(LARGE - seeded);
  await makeDue(LARGE);
  const large = await pass();
  await makeDue(LARGE);
  const largeCapped = await pass(CAP);
  const growth = large.peakRssMb - small.peakRssMb;
  const growthCapped = largeCapped.peakRssMb - smallCapped.peakRssMb;

  const memoryRows = (label: string, result: PassResult): Array<[string, string]> => [
    [label, ''],
    ['  peak RSS MB', result.peakRssMb.toFixed(1)],
    [
      '  heap before / after (full GC) MB',
      `${result.heapBeforeMb.toFixed(1)} / ${result.heapAfterMb.toFixed(1)}`,
    ],
    ['  checked / wall ms', `${result.summary.checked} / ${result.wallMs.toFixed(0)}`],
  ];
  const rows: Array<[string, string]> = [
    [`time: ${TIMED} due, ${LATENCY_MS} ms per query, concurrency ${CONCURRENCY}`, ''],
    ['  wall ms', timed.wallMs.toFixed(0)],
    ['  ideal ms (n x latency / concurrency)', ideal.toFixed(0)],
    ['  ratio wall / ideal', `${ratio.toFixed(3)} (target <= 1.15)`],
    ['  checked / errors', `${timed.summary.checked} / ${timed.summary.errors}`],
    ['  pass event loop busy', `${(timed.loopBusy * 100).toFixed(0)}%`],
    ...memoryRows(`memory: pass over ${SMALL} due`, small),
    ...memoryRows(`memory: pass over ${LARGE} due`, large),
    ['growth MB, default heap policy', `${growth.toFixed(1)} (target <= 64)`],
    ...memoryRows(`memory: ${SMALL} due, old space <= ${OLD_SPACE_CAP_MB} MB`, smallCapped),
    ...memoryRows(`memory: ${LARGE} due, old space <= ${OLD_SPACE_CAP_MB} MB`, largeCapped),
    ['growth MB, capped old space', `${growthCapped.toFixed(1)} (target <= 64)`],
  ];
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(46)} ${value}\n`);
  reportResult({
    bench: 'probe',
    measure: `wall / ideal, ${TIMED} due, ${LATENCY_MS} ms each, concurrency ${CONCURRENCY}`,
    value: ratio,
    unit: '',
    target: '<= 1.15',
    met: ratio <= 1.15,
  });
  reportResult({
    bench: 'probe',
    measure: `peak RSS growth ${SMALL} -> ${LARGE} due, default heap`,
    value: growth,
    unit: 'MB',
    target: '<= 64 MB',
    met: growth <= 64,
  });
  reportResult({
    bench: 'probe',
    measure: `peak RSS growth ${SMALL} -> ${LARGE} due, old space <= ${OLD_SPACE_CAP_MB} MB`,
    value: growthCapped,
    unit: 'MB',
    target: '<= 64 MB',
    met: growthCapped <= 64,
  });

  await seeder.close();
  await dataSource.destroy();
  simulatorProcess.kill();
  await database.drop();
  const complete =
    timed.summary.checked === TIMED &&
    small.summary.checked === SMALL &&
    large.summary.checked === LARGE &&
    largeCapped.summary.checked === LARGE;
  process.exitCode = complete && ratio <= 1.15 && growth <= 64 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
