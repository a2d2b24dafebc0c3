// A child of bench/create: in one OpenTelemetry mode (otel-mode.ts, set up before the app starts),
// createPayment against the simulator and the bare work it stands on (one HTTP POST of the same
// session request to the simulator, with axios as the module uses it, plus one INSERT of a payment
// row of the same width), 50 in flight. The rounds alternate (bare, create, bare, create) so a
// drift of the shared machine's speed falls on both sides. Input: JSON on argv[2]; prints its
// measure as one JSON line.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import axios from 'axios';
import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayModule,
  PlacetoPayPayment,
  PlacetoPayService,
} from 'nestjs-placetopay';
import { createAuth } from 'nestjs-placetopay/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { isOtelMode, setUpOtel } from './otel-mode';

const CREATES = Number(process.env.BENCH_CREATES ?? 4000);
const WARM_UP = Math.min(500, CREATES);
const IN_FLIGHT = 50;
const LOGIN = 'bench-login';
const SECRET = 'bench-secret-key';
const RETURN_URL = 'https://shop.example.com/return';

/** Runs `work(0..count-1)` with IN_FLIGHT at a time; resolves with the wall time in ms. */
async function inFlight(count: number, work: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return performance.now() - started;
}

export interface CreateMeasure {
  count: number;
  createMs: number;
  bareMs: number;
  spans: number;
  library: string;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as {
    mode: unknown;
    databaseUrl: string;
    simulatorUrl: string;
  };
  if (!isOtelMode(input.mode)) throw new Error(`unknown mode ${String(input.mode)}`);
  const otel = await setUpOtel(input.mode);
  const database = { url: input.databaseUrl };
  const simulator = { url: input.simulatorUrl };
  // Processes of several modes share the database: references apart.
  const prefix = `${input.mode}-`;

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: database.url,
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
        extra: { max: 20, idleTimeoutMillis: 0 },
      }),
      PlacetoPayModule.forRoot({
        login: LOGIN,
        secretKey: SECRET,
        baseUrl: simulator.url,
        eventPollMs: 0,
        probeEnabled: false,
        verifyCredentials: 'off',
      }),
    ],
  })
  class BenchModule {}

  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  await app.init();
  const service = app.get(PlacetoPayService);
  const payments = app.get(DataSource).getRepository(PlacetoPayPayment);

  const order = (reference: string) => ({
    reference,
    description: 'bench',
    amount: { currency: 'COP', total: 10000 },
    returnUrl: RETURN_URL,
    ipAddress: '127.0.0.1',
    userAgent: 'bench',
  });
  let created = 0;
  const create = () => service.createPayment(order(`${prefix}C-${created++}`));

  // The bare work: the same request body, signed the same way, and a row like the module's.
  const http = axios.create({ baseURL: simulator.url, timeout: 30_000 });
  await create();
  const template = await payments.findOneByOrFail({ reference: `${prefix}C-0` });
  let bared = 0;
  const bare = async () => {
    const reference = `${prefix}B-${bared++}`;
    const { data } = await http.post('/api/session', {
      locale: 'es_CO',
      auth: createAuth({ login: LOGIN, secretKey: SECRET }),
      payment: { reference, description: 'bench', amount: { currency: 'COP', total: 10000 } },
      expiration: new Date(Date.now() + 30 * 60_000).toISOString(),
      returnUrl: RETURN_URL,
      ipAddress: '127.0.0.1',
      userAgent: 'bench',
    });
    // insert, not save: save would SELECT first.
    await payments.insert({
      ...template,
      id: randomUUID(),
      reference,
      openReference: reference,
      requestId: data.requestId,
      processUrl: data.processUrl,
    } as QueryDeepPartialEntity<PlacetoPayPayment>);
  };

  await inFlight(WARM_UP, bare);
  await inFlight(WARM_UP, create);
  await otel.take();
  const half = Math.ceil(CREATES / 2);
  let bareMs = 0;
  let createMs = 0;
  for (let round = 0; round < 2; round++) {
    bareMs += await inFlight(half, bare);
    createMs += await inFlight(half, create);
  }
  const { spans } = await otel.take();
  const measure: CreateMeasure = {
    count: 2 * half,
    createMs,
    bareMs,
    spans,
    library: otel.library,
  };
  process.stdout.write(`${JSON.stringify(measure)}\n`);

  await app.close();
  await otel.shutdown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
