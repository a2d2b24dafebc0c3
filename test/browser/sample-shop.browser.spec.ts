import { TEST_CARDS } from 'nestjs-placetopay/testing';
import type { Browser, Page } from 'playwright-core';
import { SAMPLE_SITE, bootstrapSample, type RunningSample } from '../../sample/bootstrap';
import { browserAvailable, launchBrowser } from '../support/browser';
import { captureLogs } from '../support/log-capture';

const describeBrowser = browserAvailable() ? describe : describe.skip;

describeBrowser('the sample shop, paying through the embedded simulator', () => {
  let browser: Browser;
  let page: Page;
  let sample: RunningSample;
  const logs = captureLogs();

  beforeAll(async () => {
    browser = await launchBrowser();
    process.env.SAMPLE_DATABASE = ':memory:';
    sample = await bootstrapSample(0);
    sample.app.useLogger(logs);
  });

  afterAll(async () => {
    delete process.env.SAMPLE_DATABASE;
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text()).not.toContain(SAMPLE_SITE.secretKey);
    await sample?.close();
    await browser?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(() => page.close());

  it('buys a product: catalog -> checkout page -> approved -> order page says APPROVED', async () => {
    await page.goto(sample.url);
    await page.getByRole('button', { name: 'Buy Huila coffee, 250 g' }).click();
    await page.waitForURL(/\/session\/\d+\/[0-9a-f]{32}$/);
    await expect(page.locator('[data-field="amount"]').textContent()).resolves.toBe('32000.00 COP');
    await page.getByLabel('Card number').fill(TEST_CARDS.approve);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.getByRole('link', { name: 'Return to the merchant' }).click();
    await page.waitForURL(/\/orders\/[0-9A-F]{8}\/return$/);
    await expect(page.locator('[data-status]').textContent()).resolves.toBe('APPROVED');
    // The sample's listener marked the order paid.
    await expect(page.locator('[data-order-status]').textContent()).resolves.toBe('PAID');
    // The simulator also posted its signed notification to the sample's webhook, which took it.
    await sample.simulator!.notifications.settled();
    expect(sample.simulator!.notifications.sent.at(-1)).toMatchObject({
      url: `${sample.url}/placetopay/notification`,
      responseStatus: 200,
      body: { status: { status: 'APPROVED' } },
    });
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
});
