// The journal's grouped fsync against one fsync per record, in the same run: 1,000 appends from
// 1 and from 50 concurrent writers (what 50 notifications arriving together during a database
// outage do). Run with `npx ts-node --transpile-only scripts/journal-fsync-bench.ts`; BENCH_DIR
// picks the disk (default: the system's temporary directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotificationJournal } from '../lib/notifications/notification-journal';

const entry = {
  id: '6f1c2a8e-1d2b-4c3d-9e8f-0a1b2c3d4e5f',
  site: 'default',
  requestId: 123456,
  status: 'APPROVED',
  statusDate: '2026-11-27T10:00:00-05:00',
  reference: 'ORDER-12345',
  signatureAlgorithm: 'sha256',
  state: 'pending',
  attempts: 0,
  nextAttemptAt: new Date(),
  lastError: null,
  receivedAt: new Date(),
  settledAt: null,
};

async function run(maxBatch: number, concurrency: number, total: number): Promise<number> {
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'jbench-'));
  const journal = new NotificationJournal({
    dir: root,
    site: 'default',
    route: 'notification',
    maxBatch,
  });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await journal.append({ key: String(i), entry });
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await journal.close();
  rmSync(root, { recursive: true, force: true });
  return ms;
}

(async () => {
  for (const concurrency of [1, 50]) {
    for (let round = 0; round < 3; round++) {
      const single = await run(1, concurrency, 1000);
      const grouped = await run(500, concurrency, 1000);
      process.stdout.write(
        `concurrency ${concurrency}: 1000 appends, one fsync each ${single.toFixed(0)} ms, grouped ${grouped.toFixed(0)} ms, ratio ${(single / grouped).toFixed(2)}\n`,
      );
    }
  }
})();
