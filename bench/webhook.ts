// bench/webhook: the notification webhook against a bare Nest route doing one UPDATE on the same
// table, in the same run, on PostgreSQL, over loopback with autocannon (50 connections).
// Prints both throughputs, their ratio, the webhook's p99 latency and settled notifications per
// second. Targets: ratio >= 0.6, p99 < 50 ms.
import 'reflect-metadata';
import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  NotificationInbox,
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayModule,
  PlacetoPayNotification,
  PlacetoPayService,
} from 'nestjs-placetopay';
import { signNotification } from 'nestjs-placetopay/testing';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

const POSTGRES_URL =
  process.env.PLACETOPAY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONNECTIONS = 50;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6000);
const LOGIN = 'bench-login';

interface LoadResult {
  rps: number;
  total: number;
  durationS: number;
  p99: number;
  p50: number;
  non2xx: number;
  errors: number;
}
const SECRET = 'bench-secret-key';

async function main(): Promise<void> {
  const name = `ptp_bench_${randomBytes(4).toString('hex')}`;
  const admin = await new DataSource({ type: 'postgres', url: POSTGRES_URL }).initialize();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  // PlacetoPay runs elsewhere: the simulator gets its own process, so its work does not count.
  const simulatorProcess = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register',
      '-r',
      'tsconfig-paths/register',
      'lib/testing/cli.ts',
      '--port',
      '0',
      '--login',
      LOGIN,
      '--secret-key',
      SECRET,
    ],
    {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let simulatorUrl = '';
  for await (const line of createInterface({ input: simulatorProcess.stdout! })) {
    simulatorUrl = /http:\/\/[\d.:]+/.exec(line)?.[0] ?? '';
    if (simulatorUrl) break;
  }
  const simulator = { url: simulatorUrl };

  let paymentIds: string[] = [];
  @Controller('baseline')
  class BaselineController {
    private next = 0;
    constructor(private readonly dataSource: DataSource) {}

    @Post()
    async touch(): Promise<{ ok: true }> {
      const id = paymentIds[this.next++ % paymentIds.length];
      await this.dataSource.query('UPDATE placetopay_payments SET "updatedAt" = $1 WHERE id = $2', [
        Date.now(),
        id,
      ]);
      return { ok: true };
    }
  }

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: url.toString(),
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
        extra: { max: 20 },
      }),
      PlacetoPayModule.forRoot({
        login: LOGIN,
        secretKey: SECRET,
        baseUrl: simulator.url,
        eventPollMs: 0,
      }),
    ],
    controllers: [BaselineController],
  })
  class BenchModule {}

  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const service = app.get(PlacetoPayService);
  const dataSource = app.get(DataSource);

  // Distinct pending payments, each with its session at the simulator, approved there.
  const requestIds: number[] = [];
  const seedStarted = performance.now();
  for (let i = 0; i < REQUESTS; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, REQUESTS - i) }, (_, j) =>
        service.createPayment({
          reference: `B-${i + j}`,
          description: 'bench',
          amount: { currency: 'COP', total: 10000 },
          returnUrl: 'https://shop.example.com/r',
          ipAddress: '127.0.0.1',
          userAgent: 'bench',
        }),
      ),
    );
    for (const { requestId } of batch) {
      requestIds.push(requestId);
      await fetch(`${simulator.url}/__simulator/session/${requestId}/approve`, { method: 'POST' });
    }
  }
  paymentIds = (await dataSource.query('SELECT id FROM placetopay_payments')).map(
    (r: { id: string }) => r.id,
  );
  const date = '2026-11-27T10:00:00-05:00';
  const bodies = requestIds.map((requestId) =>
    JSON.stringify({
      status: { status: 'APPROVED', reason: '00', message: 'ok', date },
      requestId,
      reference: 'B',
      signature: signNotification({ requestId, status: 'APPROVED', date, secretKey: SECRET }),
    }),
  );
  process.stdout.write(
    `seeded ${REQUESTS} pending payments in ${Math.round(performance.now() - seedStarted)} ms\n`,
  );

  const bodiesFile = join(tmpdir(), `${name}-bodies.json`);
  writeFileSync(bodiesFile, JSON.stringify(bodies));
  const run = async (path: string, withBodies: boolean): Promise<LoadResult> => {
    const worker = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        'bench/load-worker.ts',
        JSON.stringify({
          url: `${base}${path}`,
          connections: CONNECTIONS,
          amount: REQUESTS,
          bodiesFile: withBodies ? bodiesFile : undefined,
        }),
      ],
      {
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    for await (const chunk of worker.stdout!) out += chunk;
    return JSON.parse(out) as LoadResult;
  };

  // Warm-up, then the baseline, then the webhook.
  await run('/baseline', false);
  const baseline = await run('/baseline', false);
  const started = performance.now();
  const webhook = await run('/placetopay/notification', true);
  await app.get(NotificationInbox).idle();
  const settledMs = performance.now() - started;
  const settled = await dataSource
    .getRepository(PlacetoPayNotification)
    .countBy({ state: 'settled' });

  // Throughput over the whole run (total / duration), steadier than autocannon's per-second average.
  const throughput = (r: LoadResult) => r.total / r.durationS;
  const ratio = throughput(webhook) / throughput(baseline);
  const rows = [
    ['baseline (one UPDATE) req/s', throughput(baseline).toFixed(0)],
    ['webhook req/s', throughput(webhook).toFixed(0)],
    ['ratio webhook / baseline', `${ratio.toFixed(2)} (target >= 0.60)`],
    ['baseline p99 latency ms', String(baseline.p99)],
    ['webhook p99 latency ms', `${webhook.p99} (target < 50)`],
    ['webhook non-2xx answers', String(webhook.non2xx)],
    [
      'notifications settled / s',
      `${(settled / (settledMs / 1000)).toFixed(0)} (${settled} of ${REQUESTS} settled)`,
    ],
  ];
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(30)} ${value}\n`);

  await app.close();
  simulatorProcess.kill();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.destroy();
  rmSync(bodiesFile, { force: true });
  process.exitCode = ratio >= 0.6 && webhook.p99 < 50 && webhook.non2xx === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
