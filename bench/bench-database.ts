// A fresh PostgreSQL database for one benchmark run, dropped at the end.
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

const POSTGRES_URL =
  process.env.PLACETOPAY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ptp_bench_${randomBytes(4).toString('hex')}`;
  const admin = await new DataSource({ type: 'postgres', url: POSTGRES_URL }).initialize();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    },
  };
}
