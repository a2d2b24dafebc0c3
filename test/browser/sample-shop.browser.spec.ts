import { TEST_CARDS } from 'nestjs-placetopay/testing';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { SAMPLE_SITES, bootstrapSample, type RunningSample } from '../../sample/bootstrap';
import { browserAvailable, launchBrowser } from '../support/browser';
import { captureLogs } from '../support/log-capture';

const describeBrowser = browserAvailable() ? describe : describe.skip;

describeBrowser('the sample shop, paying through the embedded simulators of its two sites', () => {
  let browser: Browser;
  let page: Page;
  let sample: RunningSample;
  const logs = captureLogs();
  // The development instrument key goes to a file of its own, not the repository's .tmp/.
  const keyDir = mkdtempSync(join(tmpdir(), 'sample-shop-key-'));
  const keyFile = join(keyDir, 'sample-instrument-key');

  beforeAll(async () => {
    browser = await launchBrowser();
    process.env.SAMPLE_DATABASE = ':memory:';
    process.env.SAMPLE_INSTRUMENT_KEY_FILE = keyFile;
    sample = await bootstrapSample(0);
    sample.app.useLogger(logs);
  });

  afterAll(async () => {
    delete process.env.SAMPLE_DATABASE;
    delete process.env.SAMPLE_INSTRUMENT_KEY_FILE;
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const site of Object.values(SAMPLE_SITES)) {
      expect(logs.text()).not.toContain(site.secretKey);
    }
    expect(logs.text()).not.toContain(readFileSync(keyFile, 'utf8').trim());
    await sample?.close();
    await browser?.close();
    expect(process.env.PLACETOPAY_CO_INSTRUMENT_KEY).toBeUndefined();
    expect(process.env.PLACETOPAY_EC_BASE_URL).toBeUndefined();
    rmSync(keyDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(() => page.close());

  it('buys a product in Colombia: catalog -> checkout page -> approved -> order page says APPROVED', async () => {
    await page.goto(sample.url);
    await page.getByRole('button', { name: 'Buy Huila coffee, 250 g' }).click();
    await page.waitForURL(/\/session\/\d+\/[0-9a-f]{32}$/);
    // Colombia's own PlacetoPay (simulator), with Colombia's merchant account.
    expect(page.url().startsWith(sample.simulators.co!.url)).toBe(true);
    await expect(page.locator('[data-field="amount"]').textContent()).resolves.toBe('32000.00 COP');
    await page.getByLabel('Card number').fill(TEST_CARDS.approve);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.getByRole('link', { name: 'Return to the merchant' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('APPROVED');
    // The sample's listener marked the order paid.
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe('PAID');
    await expect(page.locator('[data-site]').textContent()).resolves.toBe('Colombia');
    // The simulator also posted its signed notification to the site's webhook, which took it.
    await sample.simulators.co!.notifications.settled();
    expect(sample.simulators.co!.notifications.sent.at(-1)).toMatchObject({
      url: `${sample.url}/placetopay/notification/co`,
      responseStatus: 200,
      body: { status: { status: 'APPROVED' } },
    });
  });

  it("buys a product in Ecuador: Ecuador's site, in USD, settled through its own webhook", async () => {
    const [co, ec] = [sample.simulators.co!, sample.simulators.ec!];
    const coSessions = co.calls.createSession;
    await page.goto(sample.url);
    await expect(
      page.getByRole('region', { name: 'Ecuador' }).getByRole('button').count(),
    ).resolves.toBe(2);
    await page.getByRole('button', { name: 'Buy Loja coffee, 340 g' }).click();
    await page.waitForURL(/\/session\/\d+\/[0-9a-f]{32}$/);
    // Ecuador's own PlacetoPay, with Ecuador's merchant account and currency.
    expect(page.url().startsWith(ec.url)).toBe(true);
    expect(co.calls.createSession).toBe(coSessions);
    await expect(page.locator('[data-field="amount"]').textContent()).resolves.toBe('18.00 USD');
    await page.getByLabel('Card number').fill(TEST_CARDS.approve);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.getByRole('link', { name: 'Return to the merchant' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    const order = /\/orders\/([0-9A-F]{8})\/return$/.exec(page.url())![1];
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('APPROVED');
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe('PAID');
    await expect(page.locator('[data-site]').textContent()).resolves.toBe('Ecuador');

    // Ecuador's PlacetoPay notified Ecuador's route, which verified it with Ecuador's secret.
    await ec.notifications.settled();
    const notification = ec.notifications.sent.at(-1)!;
    expect(notification).toMatchObject({
      url: `${sample.url}/placetopay/notification/ec`,
      responseStatus: 200,
      body: { status: { status: 'APPROVED' } },
    });
    // Signed with Ecuador's secret, it is refused on Colombia's route.
    const crossed = await fetch(`${sample.url}/placetopay/notification/co`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(notification.body),
    });
    expect(crossed.status).toBe(401);

    // Each site numbers its sessions from 1: the stored payments tell them apart by site.
    const rows: Array<{ site: string; reference: string; currency: string }> = await sample.app
      .get(DataSource)
      .query('SELECT site, reference, currency FROM placetopay_payments WHERE "requestId" = 1');
    expect(rows).toHaveLength(2);
    expect(rows).toContainEqual(expect.objectContaining({ site: 'ec', reference: order }));
    expect(rows).toContainEqual(expect.objectContaining({ site: 'co', currency: 'COP' }));
    // The catalog lists the order with its country.
    await page.goto(sample.url);
    await expect(page.getByRole('link', { name: order }).locator('..').textContent()).resolves.toBe(
      `${order} Loja coffee, 340 g (Ecuador): PAID`,
    );
  });

  it('shows a rejected payment for a declining card once the buyer gives up', async () => {
    await page.goto(sample.url);
    await page.getByRole('button', { name: 'Buy Nariño coffee, 500 g' }).click();
    await page.getByLabel('Card number').fill(TEST_CARDS.reject);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Payment rejected');
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.getByRole('button', { name: 'Cancel payment' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('REJECTED');
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe(
      'PAYMENT_REJECTED',
    );
  });

  it('shows a rejected payment when the buyer cancels', async () => {
    await page.goto(sample.url);
    await page.getByRole('button', { name: 'Buy Enamel mug' }).click();
    await page.getByRole('button', { name: 'Cancel payment' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('REJECTED');
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe(
      'PAYMENT_REJECTED',
    );
  });

  it('saves the card, then charges it again from the order page: a new order, PAID', async () => {
    // The embedded sample made a development key, readable by its owner only.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(process.env.PLACETOPAY_CO_INSTRUMENT_KEY).toBe(key);
    expect(process.env.PLACETOPAY_EC_INSTRUMENT_KEY).toBe(key);

    await page.goto(sample.url);
    await page
      .getByRole('region', { name: 'Colombia' })
      .getByLabel('Save my card for next time')
      .check();
    await page.getByRole('button', { name: 'Buy Huila coffee, 250 g' }).click();
    await page.waitForURL(/\/session\/\d+\/[0-9a-f]{32}$/);
    await page.getByLabel('Card number').fill(TEST_CARDS.approve);
    await page.getByLabel('Save this card for future payments').check();
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.getByRole('link', { name: 'Return to the merchant' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    const firstOrder = /\/orders\/([0-9A-F]{8})\/return$/.exec(page.url())![1];
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe('PAID');
    await expect(page.locator('[data-saved-card]').textContent()).resolves.toBe('Visa •••• 0081');

    const collects = sample.simulators.co!.calls.collect;
    const form = {
      action: new URL(
        (await page.locator('form[action$="/charge-again"]').getAttribute('action'))!,
        page.url(),
      ).toString(),
      newOrderId: (await page.locator('input[name="newOrderId"]').getAttribute('value'))!,
    };
    await page.getByRole('button', { name: 'Charge again' }).click();
    await page.waitForURL(
      (url) => /^\/orders\/[0-9A-F]{8}$/.test(url.pathname) && !url.pathname.endsWith(firstOrder),
    );
    const secondOrder = new URL(page.url()).pathname.split('/').pop()!;
    expect(secondOrder).toBe(form.newOrderId);
    // The same form sent again (a double click): the same order, no second charge.
    const resent = await fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams({ newOrderId: form.newOrderId }),
      redirect: 'manual',
    });
    expect(resent.status).toBe(303);
    expect(resent.headers.get('location')).toBe(`/orders/${secondOrder}`);
    expect(sample.simulators.co!.calls.collect).toBe(collects + 1);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Order ${secondOrder}`);
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('APPROVED');
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe('PAID');
    // The card stays with the order that saved it.
    await expect(page.locator('[data-saved-card]').count()).resolves.toBe(0);
    await page.goto(`${sample.url}/orders/${firstOrder}`);
    await expect(page.getByRole('button', { name: 'Charge again' }).count()).resolves.toBe(1);

    // What the simulator tokenized is nowhere in the sample's database in plaintext.
    const tokens = sample.simulators.co!.instruments(SAMPLE_SITES.co.login);
    expect(tokens).toHaveLength(1);
    const db = sample.app.get(DataSource);
    const rows: Array<Record<string, unknown>> = await db.query(
      'SELECT * FROM placetopay_instruments WHERE reference = ?',
      [firstOrder],
    );
    expect(rows).toEqual([
      expect.objectContaining({
        site: 'co',
        status: 'active',
        lastDigits: '0081',
        franchiseName: 'Visa',
      }),
    ]);
    expect(rows[0].tokenCiphertext).toMatch(/^v1\./);
    const tables: Array<{ name: string }> = await db.query(
      "SELECT name FROM sqlite_master WHERE type = 'table'",
    );
    expect(tables.map(({ name }) => name)).toContain('placetopay_payment_events');
    for (const { name } of tables) {
      const dump = JSON.stringify(await db.query(`SELECT * FROM "${name}"`));
      for (const { token, subtoken } of tokens) {
        expect(dump).not.toContain(token);
        expect(dump).not.toContain(subtoken);
      }
    }
  });

  it('answers Charge again for an order that saved no card with the error page', async () => {
    await page.goto(sample.url);
    await page.getByRole('button', { name: 'Buy Enamel mug' }).click();
    await page.getByRole('button', { name: 'Cancel payment' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    const order = /\/orders\/([0-9A-F]{8})\/return$/.exec(page.url())![1];
    await expect(page.getByRole('button', { name: 'Charge again' }).count()).resolves.toBe(0);
    const response = await page.request.post(`${sample.url}/orders/${order}/charge-again`);
    expect(response.status()).toBe(409);
    expect(await response.text()).toContain('This order saved no card');
  });
});
