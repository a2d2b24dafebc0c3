import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkNotificationSignature } from '../../lib/gateway/notification-signature';
import { TEST_CARDS } from 'nestjs-placetopay/testing';
import type { Browser, Page } from 'playwright-core';
import { LOGIN, SECRET_KEY, sessionRequest } from '../support/fixtures';
import { browserAvailable, launchBrowser } from '../support/browser';
import { captureLogs } from '../support/log-capture';
import { NotificationReceiver } from '../support/notification-receiver';
import { startHarness, type Harness } from '../support/simulator-harness';

const describeBrowser = browserAvailable() ? describe : describe.skip;

describeBrowser('the simulator checkout page in a real browser', () => {
  let browser: Browser;
  let page: Page;
  let h: Harness;
  let receiver: NotificationReceiver;
  let shop: Server;
  let shopUrl: string;
  const logs = captureLogs();

  beforeAll(async () => {
    browser = await launchBrowser();
    shop = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<h1>Back at the shop</h1><p id="path">${req.url}</p>`);
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => shop?.close(resolve));
  });

  beforeEach(async () => {
    receiver = await new NotificationReceiver().start();
    h = await startHarness(
      {
        sites: [
          {
            login: LOGIN,
            secretKey: SECRET_KEY,
            notificationUrl: receiver.url,
            merchantName: 'Café de Prueba',
          },
        ],
      },
      {},
      logs,
    );
    page = await browser.newPage();
  });

  afterEach(async () => {
    await page.close();
    await h.close();
    await receiver.stop();
  });

  it('pays with an approving card, returns the buyer to returnUrl and sends the signed notification', async () => {
    const { requestId, processUrl } = await h.client.createSession(
      sessionRequest({ returnUrl: `${shopUrl}/return?order=1001` }),
    );
    await page.goto(processUrl);
    await expect(page.locator('[data-field="merchant"]').textContent()).resolves.toBe(
      'Café de Prueba',
    );
    await expect(page.locator('[data-field="reference"]').textContent()).resolves.toBe(
      'ORDER-1001',
    );
    await expect(page.locator('[data-field="description"]').textContent()).resolves.toBe(
      'Two coffee bags',
    );
    await expect(page.locator('[data-field="amount"]').textContent()).resolves.toBe(
      '125000.00 COP',
    );

    await page.getByLabel('Card number').fill(TEST_CARDS.approve);
    await page.screenshot({ path: '.tmp/checkout-page.png' }).catch(() => undefined);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Payment approved');
    await page.getByRole('link', { name: 'Return to the merchant' }).click();
    await page.waitForURL(`${shopUrl}/return?order=1001`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Back at the shop');

    await h.simulator.notifications.settled();
    expect(receiver.received).toHaveLength(1);
    const body = receiver.received[0].body as {
      requestId: number;
      signature: string;
      status: { status: string; date: string };
    };
    expect(body).toMatchObject({ requestId, status: { status: 'APPROVED' } });
    expect(
      checkNotificationSignature(body.signature, {
        requestId,
        status: 'APPROVED',
        date: body.status.date,
        secretKey: SECRET_KEY,
      }).valid,
    ).toBe(true);
    expect((await h.client.getSession(requestId)).status.status).toBe('APPROVED');
  });

  it('goes straight back to returnUrl with skipResult', async () => {
    const { requestId, processUrl } = await h.client.createSession(
      sessionRequest({ returnUrl: `${shopUrl}/return?order=2`, skipResult: true }),
    );
    await page.goto(processUrl);
    await page.getByLabel('Card number').fill(TEST_CARDS.approve);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(`${shopUrl}/return?order=2`);
    expect((await h.client.getSession(requestId)).status.status).toBe('APPROVED');
  });

  it('shows a decline, lets the buyer try again, and handles a pending card', async () => {
    const { requestId, processUrl } = await h.client.createSession(
      sessionRequest({ returnUrl: `${shopUrl}/return` }),
    );
    await page.goto(processUrl);
    await page.getByLabel('Card number').fill(TEST_CARDS.reject);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Payment rejected');
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.getByLabel('Card number').fill(TEST_CARDS.pendingApprove);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Payment pending');
    const info = await h.client.getSession(requestId);
    expect(info.status.status).toBe('PENDING');
    expect(info.payment.map((tx) => tx.status.status)).toEqual(['PENDING', 'REJECTED']);
    // While that payment is in process the page offers no second one.
    await page.goto(processUrl);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('A payment is in process');
    await expect(page.getByLabel('Card number').count()).resolves.toBe(0);
  });

  it('refuses a mistyped card number without a transaction', async () => {
    const { requestId, processUrl } = await h.client.createSession(sessionRequest());
    await page.goto(processUrl);
    await page.getByLabel('Card number').fill('4111 1111 1111 1112');
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'The card number is not valid',
    );
    expect((await h.client.getSession(requestId)).payment).toEqual([]);
  });

  it('cancels: the buyer lands on cancelUrl and the session is REJECTED', async () => {
    const { requestId, processUrl } = await h.client.createSession(
      sessionRequest({ returnUrl: `${shopUrl}/return`, cancelUrl: `${shopUrl}/cancelled` }),
    );
    await page.goto(processUrl);
    await page.getByRole('button', { name: 'Cancel payment' }).click();
    await page.waitForURL(`${shopUrl}/cancelled`);
    expect((await h.client.getSession(requestId)).status).toMatchObject({
      status: 'REJECTED',
      reason: '?C',
    });
    await page.goto(processUrl);
    await expect(page.getByRole('heading').textContent()).resolves.toBe(
      'This session is not available',
    );
  });
});
