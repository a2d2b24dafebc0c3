import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PlacetoPayEventDelivery } from 'nestjs-placetopay';
import type { DataSourceOptions } from 'typeorm';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp } from '../support/payments-app';
import { CrashListener } from './fixtures/crash-listener';

const ROOT = join(__dirname, '..', '..');

describe('crash recovery', () => {
  const logs = captureLogs();
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ptp-crash-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes after restart a delivery that a process killed with SIGKILL had started', async () => {
    const file = join(dir, 'shop.sqlite');
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        '-r',
        'tsconfig-paths/register',
        join(__dirname, 'fixtures', 'crash-child.ts'),
        file,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, CRASH_CHILD: '1', TS_NODE_TRANSPILE_ONLY: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const lines = createInterface({ input: child.stdout });
    let committed = '';
    let delivering = '';
    for await (const line of lines) {
      if (line.startsWith('COMMITTED ')) committed = line.slice('COMMITTED '.length);
      if (line.startsWith('DELIVERING ')) {
        delivering = line.slice('DELIVERING '.length);
        break;
      }
    }
    expect(`${committed} ${delivering}`).toMatch(/^\S+ \S+$/);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(stderr).toBe('');

    // A new process on the same database, with the same listener; its clock is past the lease.
    const clock = { now: () => new Date(Date.now() + 61_000) };
    const engine = {
      name: 'sqlite' as const,
      create: async () => ({
        options: { type: 'better-sqlite3', database: file } as DataSourceOptions,
        drop: async () => undefined,
      }),
    };
    const app = await startPaymentsApp(engine, { eventPollMs: 0 }, logs, {
      providers: [CrashListener],
      clock,
    });
    try {
      const [delivery] = await app.payments.manager.find(PlacetoPayEventDelivery);
      expect(delivery).toMatchObject({ status: 'pending', attempts: 1, eventId: delivering });
      await app.dispatcher.drain();
      expect(CrashListener.received.map((e) => [e.id, e.type, e.payment.id])).toEqual([
        [delivering, 'payment.approved', committed],
      ]);
      const [after] = await app.payments.manager.find(PlacetoPayEventDelivery);
      expect(after).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await app.close();
    }
  });
});
