import type { PlacetoPayService, ProbeSummary } from 'nestjs-placetopay';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { enginesUnderTest, type Engine, type TestDatabase } from '../support/databases';
import { captureLogs } from '../support/log-capture';
import {
  CO,
  EC,
  SITES,
  order,
  queriesPerSession,
  startTwoSitesApp,
  type SiteName,
  type TwoSitesApp,
} from '../support/two-sites-app';

/** Due payments per site. */
const N = 150;
const REPLICAS = 3;
const HOUR = 60 * 60_000;

// The replicas share one database server: SQLite's in-memory databases cannot be shared (as in
// test/probe/probe-replicas.spec.ts, which runs on PostgreSQL only).
const servers = enginesUnderTest().filter((engine) => engine.name !== 'sqlite');
const cases = servers.map((engine) => [engine.name, engine] as const);

(cases.length ? describe.each(cases) : describe.skip.each([['no server', undefined as never]]))(
  'three replicas with two sites on %s',
  (_name, engine: Engine) => {
    const logs = captureLogs();
    const simulators = {} as Record<SiteName, PlacetoPaySimulator>;
    const databaseClock = new ManualClock();
    let database: TestDatabase;
    const replicas: TwoSitesApp[] = [];
    const due: Record<SiteName, number[]> = { co: [], ec: [] };

    beforeAll(async () => {
      simulators.co = await new PlacetoPaySimulator({ sites: [{ ...CO }], tickMs: 0 }).start();
      simulators.ec = await new PlacetoPaySimulator({ sites: [{ ...EC }], tickMs: 0 }).start();
      database = await engine.create();
      // One after the other: the first one runs the migrations, the others find them done.
      for (let i = 0; i < REPLICAS; i++) {
        replicas.push(
          await startTwoSitesApp({
            database,
            simulators,
            databaseClock,
            logs,
            options: { probeBatchSize: 20, probeConcurrency: 5 },
            // Three apps on one server next to other suites: a small pool each.
            databaseOptions: {
              extra: engine.name === 'postgres' ? { max: 6 } : { connectionLimit: 6 },
            },
          }),
        );
      }
      // N payments per site, the same references on both, taken by any replica.
      for (const site of SITES) {
        for (let i = 0; i < N; i += 25) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(25, N - i) }, (_, j) =>
              replicas[(i + j) % REPLICAS].services[site].createPayment(
                order(`REPLICA-${i + j}`, site),
              ),
            ),
          );
          due[site].push(...batch.map((created) => created.requestId));
        }
      }
      // A little latency, so that the passes overlap and compete for the same rows.
      for (const site of SITES)
        simulators[site].faults.inject('getSession', { type: 'latency', ms: 3 });
    }, 120_000);

    afterAll(async () => {
      for (const replica of replicas) await replica.close();
      for (const simulator of Object.values(simulators ?? {})) await simulator.stop();
      await database?.drop();
    });

    /** Every replica's probe of every site, all at once: one window. */
    async function window(): Promise<Record<SiteName, ProbeSummary[]>> {
      const passes = SITES.map((site) =>
        Promise.all(
          replicas.map((replica) => (replica.services[site] as PlacetoPayService).runProbe()),
        ),
      );
      const [co, ec] = await Promise.all(passes);
      return { co, ec };
    }

    const total = (summaries: ProbeSummary[], key: 'claimed' | 'checked' | 'errors') =>
      summaries.reduce((sum, summary) => sum + summary[key], 0);

    /** Each due payment's queries at its own simulator; none of a site's at the other. */
    function expectQueriedEach(times: number) {
      for (const site of SITES) {
        const counts = queriesPerSession(simulators[site]);
        expect(due[site].filter((id) => counts.get(id) !== times)).toEqual([]);
        // Both simulators number their sessions alike: the same requestIds, counted apart.
        expect([...counts.keys()].sort()).toEqual([...due[site]].sort());
      }
    }

    it(`queries each of ${N} due payments per site exactly once per window, sharing the work`, async () => {
      databaseClock.advance(60_000);
      const first = await window();
      for (const site of SITES) {
        expect(total(first[site], 'claimed')).toBe(N);
        expect(total(first[site], 'checked')).toBe(N);
        expect(total(first[site], 'errors')).toBe(0);
        // Shared, not done by whoever started first.
        expect(first[site].filter((summary) => summary.claimed > 0).length).toBeGreaterThanOrEqual(
          2,
        );
      }
      expectQueriedEach(1);

      // The same window again: nothing is due, nothing is asked.
      const again = await window();
      for (const site of SITES) expect(total(again[site], 'claimed')).toBe(0);
      expectQueriedEach(1);

      // The next window: every payment once more, still once each.
      databaseClock.advance(HOUR);
      const next = await window();
      for (const site of SITES) {
        expect(total(next[site], 'checked')).toBe(N);
        expect(total(next[site], 'errors')).toBe(0);
      }
      expectQueriedEach(2);
      const [row] = await replicas[0].dataSource.query(
        `SELECT COUNT(*) AS n FROM placetopay_payments WHERE ${replicas[0].dataSource.driver.escape('leaseOwner')} IS NOT NULL`,
      );
      expect(Number(row.n)).toBe(0);
    }, 180_000);
  },
);
