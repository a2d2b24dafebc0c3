import { Injectable } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  OnPlacetoPayEvent,
  PlacetoPayPayment,
  type PlacetoPayEvent,
  type PlacetoPayService,
} from 'nestjs-placetopay';
import { ManualClock, PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { enginesUnderTest, type TestDatabase } from '../support/databases';
import { captureLogs } from '../support/log-capture';
import {
  CO,
  EC,
  emptyTables,
  order,
  queriesPerSession,
  startTwoSitesApp,
  type SiteName,
  type TwoSitesApp,
} from '../support/two-sites-app';
import { postBody } from '../support/webhook-app';

const MINUTE = 60_000;

@Injectable()
class Listeners {
  readonly everySite: PlacetoPayEvent[] = [];
  readonly coOnly: PlacetoPayEvent[] = [];
  readonly ecOnly: PlacetoPayEvent[] = [];

  @OnPlacetoPayEvent('payment.approved')
  onAny(event: PlacetoPayEvent): void {
    this.everySite.push(event);
  }

  @OnPlacetoPayEvent('payment.approved', { site: 'co' })
  onCo(event: PlacetoPayEvent): void {
    this.coOnly.push(event);
  }

  @OnPlacetoPayEvent('payment.approved', { site: ['ec'] })
  onEc(event: PlacetoPayEvent): void {
    this.ecOnly.push(event);
  }

  reset(): void {
    for (const list of [this.everySite, this.coOnly, this.ecOnly]) list.length = 0;
  }
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'two sites against two simulators on %s',
  (_name, engine) => {
    const logs = captureLogs();
    const simulators = {} as Record<SiteName, PlacetoPaySimulator>;
    const databaseClock = new ManualClock();
    let database: TestDatabase;
    let app: TwoSitesApp;
    let co: PlacetoPayService;
    let ec: PlacetoPayService;
    let listeners: Listeners;
    const routeOf = (site: SiteName) => `${app.url}/placetopay/notification/${site}`;

    beforeAll(async () => {
      simulators.co = await new PlacetoPaySimulator({ sites: [{ ...CO }], tickMs: 0 }).start();
      simulators.ec = await new PlacetoPaySimulator({ sites: [{ ...EC }], tickMs: 0 }).start();
      database = await engine.create();
      app = await startTwoSitesApp({
        database,
        simulators,
        databaseClock,
        providers: [Listeners],
        logs,
      });
      ({ co, ec } = app.services);
      listeners = app.app.get(Listeners);
    }, 60_000);

    afterAll(async () => {
      await app?.close();
      for (const simulator of Object.values(simulators)) await simulator.stop();
      await database?.drop();
    });

    beforeEach(async () => {
      await emptyTables(app.dataSource);
      listeners.reset();
      databaseClock.set(Date.now());
      // Each PlacetoPay site posts to its own route.
      simulators.co.sites[0].notificationUrl = routeOf('co');
      simulators.ec.sites[0].notificationUrl = routeOf('ec');
    });

    /** The simulator's notifications answered, and the site's settlements ended. */
    async function settled(site: SiteName) {
      await simulators[site].notifications.settled();
      await app.inbox(site).idle();
    }

    /** Every payment of `reference`, as `site:status`, whatever the site. */
    const rowsOf = async (reference: string) =>
      (await app.dataSource.getRepository(PlacetoPayPayment).findBy({ reference }))
        .map((p) => `${p.site}:${p.status}`)
        .sort();

    it('takes the same reference on both sites, each settled through its own webhook route', async () => {
      const onCo = await co.createPayment(order('SAME-1', 'co'));
      const onEc = await ec.createPayment(order('SAME-1', 'ec'));
      // Two PlacetoPay environments number their sessions alike: the same requestId too.
      expect(onEc.requestId).toBe(onCo.requestId);
      expect(await rowsOf('SAME-1')).toEqual(['co:PENDING', 'ec:PENDING']);

      simulators.co.approve(onCo.requestId);
      await settled('co');
      expect(simulators.co.notifications.sent.at(-1)).toMatchObject({
        url: routeOf('co'),
        responseStatus: 200,
      });
      expect(await rowsOf('SAME-1')).toEqual(['co:APPROVED', 'ec:PENDING']);

      simulators.ec.approve(onEc.requestId);
      await settled('ec');
      expect(simulators.ec.notifications.sent.at(-1)).toMatchObject({
        url: routeOf('ec'),
        responseStatus: 200,
      });
      expect(await rowsOf('SAME-1')).toEqual(['co:APPROVED', 'ec:APPROVED']);
      expect(await co.findByReference('SAME-1')).toMatchObject({ currency: 'COP', site: 'co' });
      expect(await ec.findByReference('SAME-1')).toMatchObject({ currency: 'USD', site: 'ec' });
      // One notification stored per site, each under its own site.
      const notifications = await app.dataSource.getRepository(PlacetoPayNotification).find();
      expect(notifications.map((n) => `${n.site}:${n.requestId}`).sort()).toEqual([
        `co:${onCo.requestId}`,
        `ec:${onEc.requestId}`,
      ]);
    });

    it("refuses a notification signed with the other site's secret (401), changing nothing", async () => {
      const onCo = await co.createPayment(order('FORGED-1', 'co'));
      const onEc = await ec.createPayment(order('FORGED-1', 'ec'));
      // The same requestId on both sites: a body valid for one site names a payment on the other.
      expect(onEc.requestId).toBe(onCo.requestId);
      const requestId = onCo.requestId;
      const status = {
        status: 'APPROVED',
        reason: '00',
        message: 'ok',
        date: new Date().toISOString(),
      };
      const signedBy = (secretKey: string) => ({
        requestId,
        reference: 'FORGED-1',
        status,
        signature: signNotification({
          requestId,
          status: 'APPROVED',
          date: status.date,
          secretKey,
        }),
      });
      const events = async () =>
        Number(
          (
            await app.dataSource.query(
              `SELECT COUNT(*) AS n FROM ${app.dataSource.driver.escape('placetopay_payment_events')}`,
            )
          )[0].n,
        );
      const eventsBefore = await events();

      expect((await postBody(routeOf('ec'), signedBy(CO.secretKey))).status).toBe(401);
      expect((await postBody(routeOf('co'), signedBy(EC.secretKey))).status).toBe(401);
      await app.inbox('co').idle();
      await app.inbox('ec').idle();
      expect(await app.dataSource.getRepository(PlacetoPayNotification).count()).toBe(0);
      expect(await rowsOf('FORGED-1')).toEqual(['co:PENDING', 'ec:PENDING']);
      expect(await events()).toBe(eventsBefore);

      // ec's own, genuine notification settles ec's payment only, never co's of the same requestId.
      simulators.ec.approve(requestId);
      await settled('ec');
      expect(await rowsOf('FORGED-1')).toEqual(['co:PENDING', 'ec:APPROVED']);
    });

    it("settles other payments through each site's own probe job, each asking only its own gateway", async () => {
      // No notification this time: only the probe can settle them.
      simulators.co.sites[0].notificationUrl = undefined;
      simulators.ec.sites[0].notificationUrl = undefined;
      const onCo = await co.createPayment(order('PROBED-1', 'co'));
      const onEc = await ec.createPayment(order('PROBED-1', 'ec'));
      const declined = await ec.createPayment(order('PROBED-2', 'ec'));
      simulators.co.approve(onCo.requestId);
      simulators.ec.approve(onEc.requestId);
      simulators.ec.reject(declined.requestId);
      const registry = app.app.get(SchedulerRegistry);
      expect([...registry.getCronJobs().keys()].sort()).toEqual([
        'placetopay-probe:co',
        'placetopay-probe:ec',
      ]);
      const before = { co: queriesPerSession(simulators.co), ec: queriesPerSession(simulators.ec) };
      const queriedSince = (site: SiteName) => {
        const now = queriesPerSession(simulators[site]);
        return [...now].filter(([id, n]) => n !== (before[site].get(id) ?? 0)).map(([id]) => id);
      };
      databaseClock.advance(MINUTE);

      // co's job fires (as its cron would); runProbe joins the pass it started.
      await registry.getCronJob('placetopay-probe:co').fireOnTick();
      expect(await co.runProbe()).toMatchObject({
        claimed: 1,
        checked: 1,
        errors: 0,
        settled: { APPROVED: 1 },
      });
      expect(queriedSince('co')).toEqual([onCo.requestId]);
      expect(queriedSince('ec')).toEqual([]);
      expect(await rowsOf('PROBED-1')).toEqual(['co:APPROVED', 'ec:PENDING']);

      await registry.getCronJob('placetopay-probe:ec').fireOnTick();
      expect(await ec.runProbe()).toMatchObject({
        claimed: 2,
        checked: 2,
        errors: 0,
        settled: { APPROVED: 1, REJECTED: 1 },
      });
      expect(queriedSince('ec').sort()).toEqual([onEc.requestId, declined.requestId].sort());
      expect(queriedSince('co')).toEqual([onCo.requestId]);
      expect(await rowsOf('PROBED-1')).toEqual(['co:APPROVED', 'ec:APPROVED']);
      expect(await rowsOf('PROBED-2')).toEqual(['ec:REJECTED']);
      // Each pass logged under its own site's context.
      for (const site of ['co', 'ec']) {
        expect(
          logs.lines.some((l) => l.includes('probe pass') && l.endsWith(`PlacetoPayProbe:${site}`)),
        ).toBe(true);
      }
    });

    it('delivers each site its own events; a listener filtered to one site hears only it', async () => {
      const approved: Record<SiteName, string[]> = { co: [], ec: [] };
      for (const [site, service] of [
        ['co', co],
        ['ec', ec],
        ['co', co],
      ] as const) {
        const created = await service.createPayment(order(`HEARD-${approved[site].length}`, site));
        simulators[site].approve(created.requestId);
        await settled(site);
        approved[site].push(created.payment.id);
      }
      await co.deliverPendingEvents();
      await ec.deliverPendingEvents();
      const paymentsOf = (events: PlacetoPayEvent[]) => events.map((e) => e.payment.id).sort();
      expect(paymentsOf(listeners.everySite)).toEqual([...approved.co, ...approved.ec].sort());
      expect(paymentsOf(listeners.coOnly)).toEqual([...approved.co].sort());
      expect(paymentsOf(listeners.ecOnly)).toEqual(approved.ec);
      expect(listeners.coOnly.every((e) => e.site === 'co')).toBe(true);
      expect(listeners.ecOnly.every((e) => e.site === 'ec')).toBe(true);
      // Delivered once: another round finds nothing left for either site.
      await co.deliverPendingEvents();
      await ec.deliverPendingEvents();
      expect(listeners.everySite).toHaveLength(3);
    });
  },
);
