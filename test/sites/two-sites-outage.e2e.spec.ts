import {
  PaymentStatus,
  PlacetoPayPayment,
  type PlacetoPayService,
  type ProbeSummary,
} from 'nestjs-placetopay';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { enginesUnderTest, type TestDatabase } from '../support/databases';
import { freePort } from '../support/free-port';
import { captureLogs } from '../support/log-capture';
import {
  CO,
  EC,
  order,
  startTwoSitesApp,
  type SiteName,
  type TwoSitesApp,
} from '../support/two-sites-app';

const MINUTE = 60_000;
/** The probe's breaker: open after 5 gateway failures in a row, for 60 s the first time. */
const COOL_DOWN_MS = 60_000;
/** ec's probe queries two sessions at a time. */
const EC_CONCURRENCY = 2;

/** Every session query `simulator` received, answered or not. */
const sessionQueries = (simulator: PlacetoPaySimulator) =>
  simulator.requestLog.filter((entry) => entry.operation === 'getSession').length;

/** Resolves once `count` more session queries have reached `simulator` (not answered yet). */
function queriesArriving(simulator: PlacetoPaySimulator, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const original = simulator.requestLog.push.bind(simulator.requestLog);
    simulator.requestLog.push = (...entries) => {
      seen += entries.filter((entry) => entry.operation === 'getSession').length;
      if (seen >= count) {
        simulator.requestLog.push = original;
        resolve();
      }
      return original(...entries);
    };
  });
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  "one site's gateway stopped on %s",
  (_name, engine) => {
    const logs = captureLogs();
    const simulators = {} as Record<SiteName, PlacetoPaySimulator>;
    const databaseClock = new ManualClock();
    let database: TestDatabase;
    let app: TwoSitesApp;
    let co: PlacetoPayService;
    let ec: PlacetoPayService;

    beforeAll(async () => {
      simulators.co = await new PlacetoPaySimulator({ sites: [{ ...CO }], tickMs: 0 }).start();
      // On a port of its own, so that it can be started again where the site expects it.
      simulators.ec = await new PlacetoPaySimulator({
        sites: [{ ...EC }],
        tickMs: 0,
        port: await freePort(),
      }).start();
      database = await engine.create();
      app = await startTwoSitesApp({
        database,
        simulators,
        databaseClock,
        logs,
        // A query cut by the outage must fail by the stop, never by a timeout.
        options: { timeoutMs: 30_000 },
        perSite: { ec: { probeConcurrency: EC_CONCURRENCY } },
      });
      ({ co, ec } = app.services);
      simulators.co.sites[0].notificationUrl = `${app.url}/placetopay/notification/co`;
    }, 60_000);

    afterAll(async () => {
      jest.useRealTimers();
      await app?.close();
      for (const simulator of Object.values(simulators)) await simulator.stop();
      await database?.drop();
    });

    const statusOf = async (service: PlacetoPayService, requestId: number) =>
      (await service.findByRequestId(requestId))?.status;

    it("opens the stopped site's breaker while the other site's probe, payments and webhook carry on", async () => {
      // The breaker runs on monotonic time (performance.now): it goes on with real time (the
      // webhook's settle queue waits for a quiet spell on it), and the test moves it forward.
      jest.useFakeTimers({
        advanceTimers: true,
        doNotFake: [
          'Date',
          'hrtime',
          'nextTick',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      // Due payments on both sites, approved at PlacetoPay, for the probe to settle.
      const pay = async (service: PlacetoPayService, site: SiteName, reference: string) => {
        const { requestId } = await service.createPayment(order(reference, site));
        simulators[site].approve(requestId);
        return requestId;
      };
      const coUrl = simulators.co.sites[0].notificationUrl;
      simulators.co.sites[0].notificationUrl = undefined;
      const coDue: number[] = [];
      for (let i = 0; i < 3; i++) coDue.push(await pay(co, 'co', `DUE-${i}`));
      const ecDue: number[] = [];
      for (let i = 0; i < 8; i++) ecDue.push(await pay(ec, 'ec', `DUE-${i}`));
      simulators.co.sites[0].notificationUrl = coUrl;
      databaseClock.advance(MINUTE);

      // ec's pass is stuck on its gateway (two queries in flight, unanswered)...
      simulators.ec.faults.inject('getSession', { type: 'hang' });
      // (The start-up credential check queried a session too.)
      const queriedBefore = sessionQueries(simulators.ec);
      const hung = queriesArriving(simulators.ec, EC_CONCURRENCY);
      const ecPass = ec.runProbe();
      await hung;
      // ...and co's pass runs to its end meanwhile: nothing of ec's holds it.
      expect(await co.runProbe()).toMatchObject({
        claimed: 3,
        checked: 3,
        errors: 0,
        circuitOpen: false,
        settled: { APPROVED: 3 },
      });
      for (const id of coDue) expect(await statusOf(co, id)).toBe(PaymentStatus.APPROVED);

      // ec's gateway goes away: the hung queries are cut, the next ones refused.
      await simulators.ec.stop();
      const ecSummary: ProbeSummary = await ecPass;
      expect(ecSummary).toMatchObject({ checked: 0, circuitOpen: true });
      // It stopped at its breaker's threshold (one more query may have been in flight).
      expect(ecSummary.errors).toBeGreaterThanOrEqual(5);
      expect(ecSummary.errors).toBeLessThanOrEqual(5 + EC_CONCURRENCY - 1);
      expect(ecSummary.errors).toBeLessThan(ecDue.length);
      expect(sessionQueries(simulators.ec) - queriedBefore).toBe(EC_CONCURRENCY);
      for (const id of ecDue) expect(await statusOf(ec, id)).toBe(PaymentStatus.PENDING);
      // Nothing of ec's is left leased: every payment waits for the next pass.
      const leased = await app.dataSource
        .getRepository(PlacetoPayPayment)
        .createQueryBuilder('p')
        .where('p.leaseOwner IS NOT NULL')
        .getCount();
      expect(leased).toBe(0);

      // While ec's breaker is open its passes do not even claim...
      databaseClock.advance(60 * MINUTE);
      expect(await ec.runProbe()).toMatchObject({ claimed: 0, checked: 0, circuitOpen: true });
      // ...and co keeps taking payments: settled by its webhook, and by its probe.
      const byWebhook = await co.createPayment(order('AFTER-1', 'co'));
      simulators.co.approve(byWebhook.requestId);
      await simulators.co.notifications.settled();
      await app.inbox('co').idle();
      expect(await statusOf(co, byWebhook.requestId)).toBe(PaymentStatus.APPROVED);
      simulators.co.sites[0].notificationUrl = undefined;
      const byProbe = await pay(co, 'co', 'AFTER-2');
      simulators.co.sites[0].notificationUrl = coUrl;
      databaseClock.advance(MINUTE);
      expect(await co.runProbe()).toMatchObject({
        claimed: 1,
        errors: 0,
        circuitOpen: false,
        settled: { APPROVED: 1 },
      });
      expect(await statusOf(co, byProbe)).toBe(PaymentStatus.APPROVED);
      // A new ec payment cannot be taken while its gateway is down; co's of the same reference is.
      await expect(ec.createPayment(order('AFTER-1', 'ec'))).rejects.toThrow();
      expect(await co.findByReference('AFTER-1')).toMatchObject({ status: PaymentStatus.APPROVED });

      // The gateway is back, but the cool-down (far longer than this test) is not over: still no
      // pass for ec.
      simulators.ec.faults.clear();
      await simulators.ec.start();
      expect(await ec.runProbe()).toMatchObject({ claimed: 0, checked: 0, circuitOpen: true });
      expect(sessionQueries(simulators.ec) - queriedBefore).toBe(EC_CONCURRENCY);

      // Once it is over, ec's probe settles every payment the outage held up.
      jest.advanceTimersByTime(COOL_DOWN_MS);
      const recovered = await ec.runProbe();
      expect(recovered).toMatchObject({ errors: 0, circuitOpen: false });
      expect(recovered.settled.APPROVED).toBe(ecDue.length);
      for (const id of ecDue) expect(await statusOf(ec, id)).toBe(PaymentStatus.APPROVED);
      // co's rows were never touched by ec's passes.
      expect((await co.listByReference('DUE-0')).map((p) => p.site)).toEqual(['co']);
    }, 60_000);
  },
);
