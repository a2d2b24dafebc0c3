import { Body, Controller, Get, Header, Ip, Param, Post, Req, Res } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import {
  PaymentStatus,
  PlacetoPayConfigError,
  PlacetoPayDuplicatePaymentError,
  PlacetoPayError,
  PlacetoPayInstrumentNotFoundError,
  PlacetoPayInstrumentRevokedError,
  TokenDecryptionError,
  type PlacetoPayInstrument,
  type PlacetoPayPayment,
} from 'nestjs-placetopay';
import { type Person } from 'nestjs-placetopay/wire';
import { randomBytes } from 'node:crypto';
import type { Repository } from 'typeorm';
import { CATALOG, SHOP_SITES, type Product } from './shop-catalog';
import { ShopOrder } from './shop-order.entity';
import { ShopPayments } from './shop-payments';
import { catalogPage, errorPage, orderPage } from './shop-pages';

/**
 * The sample has no customer accounts, so a buyer who saves a card is this one. A real shop sends
 * the signed-in customer. PlacetoPay's collect (Charge again) needs a payer with all of these
 * fields; the module keeps them with the saved card and charges it with them.
 */
const SAMPLE_BUYER: Person = {
  name: 'Sample',
  surname: 'Buyer',
  email: 'buyer@example.com',
  documentType: 'CC',
  document: '1040035000',
};

@Controller()
export class ShopController {
  constructor(
    private readonly payments: ShopPayments,
    @InjectRepository(ShopOrder) private readonly orders: Repository<ShopOrder>,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async catalog(): Promise<string> {
    return catalogPage(
      SHOP_SITES.map((site) => ({
        site,
        products: CATALOG.filter((product) => product.site === site.name),
        canSaveCard: this.payments.canSaveCard(site.name),
      })),
      await this.orders.find({ order: { id: 'ASC' } }),
    );
  }

  /**
   * The Pay button: store the order, create the payment in the product's site (its merchant
   * account, its currency), send the buyer to that site's PlacetoPay checkout.
   */
  @Post('checkout')
  async checkout(
    @Body('sku') sku: string,
    @Body('saveCard') saveCard: string | undefined,
    @Ip() ip: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const product = CATALOG.find((p) => p.sku === sku);
    if (!product) {
      res.status(400).type('html').send(errorPage('Unknown product'));
      return;
    }
    const order = await this.newOrder(product);
    const subscribe = saveCard === '1' && this.payments.canSaveCard(product.site);
    try {
      const { requestId, processUrl } = await this.payments.of(order.site).createPayment({
        reference: order.id,
        description: product.name,
        amount: { currency: product.currency, total: product.price },
        returnUrl: `${req.protocol}://${req.get('host')}/orders/${order.id}/return`,
        ipAddress: buyerIp(ip),
        userAgent: buyerAgent(req),
        metadata: { orderId: order.id },
        // PlacetoPay's checkout offers to save the card; the saved card is kept under order.id.
        ...(subscribe ? { subscribe: true, buyer: SAMPLE_BUYER } : {}),
      });
      await this.orders.update({ id: order.id }, { requestId: String(requestId) });
      res.redirect(303, processUrl);
    } catch (error) {
      await this.orders.update({ id: order.id }, { status: 'PAYMENT_FAILED' });
      res
        .status(502)
        .type('html')
        .send(errorPage(error instanceof PlacetoPayError ? error.message : 'Payment error'));
    }
  }

  /** The buyer is back: never trust the URL, ask PlacetoPay (syncPayment) and show the outcome. */
  @Get('orders/:id/return')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async returned(@Param('id') id: string): Promise<string> {
    const order = await this.orders.findOneBy({ id });
    if (!order?.requestId) return errorPage('Unknown order');
    // The order's own site: requestIds are numbered per site, another site may have the same.
    const payments = this.payments.of(order.site);
    let payment: PlacetoPayPayment | null;
    try {
      payment = await payments.syncPayment(Number(order.requestId));
      // Let the listeners (OrderFulfilmentListener) run before rendering what they change.
      await payments.deliverPendingEvents();
    } catch {
      // PlacetoPay did not answer: show what is stored; the probe settles it later.
      payment = await payments.findByRequestId(Number(order.requestId));
    }
    const current = (await this.orders.findOneBy({ id }))!;
    return orderPage(current, payment, await this.savedCard(current));
  }

  @Get('orders/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async order(@Param('id') id: string): Promise<string> {
    const order = await this.orders.findOneBy({ id });
    if (!order) return errorPage('Unknown order');
    const payments = this.payments.of(order.site);
    const payment = order.requestId
      ? await payments.findByRequestId(Number(order.requestId))
      : // A charge whose outcome was in doubt has no requestId yet: its payment has our reference.
        await payments.findByReference(order.id);
    return orderPage(order, payment, await this.savedCard(order));
  }

  /**
   * The Charge again button: a new order for the same product, charged at once to the card the
   * order saved (PlacetoPay's collect, no checkout page), in the site that saved it: a card is
   * known to one merchant account only. A real shop would also check that the signed-in customer
   * owns that card; the sample has no accounts.
   */
  @Post('orders/:id/charge-again')
  async chargeAgain(
    @Param('id') id: string,
    @Body('newOrderId') newOrderId: string | undefined,
    @Ip() ip: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const fail = (status: number, message: string): void => {
      res.status(status).type('html').send(errorPage(message));
    };
    // Charging needs no page at PlacetoPay: refuse a POST another site makes the browser send.
    const origin = req.get('origin');
    if (origin && origin !== `${req.protocol}://${req.get('host')}`) {
      fail(403, 'This form must be sent from the shop');
      return;
    }
    const previous = await this.orders.findOneBy({ id });
    if (!previous) {
      fail(404, 'Unknown order');
      return;
    }
    const card = await this.savedCard(previous);
    if (!card) {
      fail(409, 'This order saved no card, or it was removed');
      return;
    }
    const product = CATALOG.find((p) => p.sku === previous.sku && p.site === previous.site);
    if (!product) {
      fail(409, 'This product is no longer sold');
      return;
    }
    // The form names the new order: a double click or a resent form lands on the first one.
    const wanted = typeof newOrderId === 'string' && /^[0-9A-F]{8}$/.test(newOrderId);
    if (wanted && (await this.orders.existsBy({ id: newOrderId }))) {
      res.redirect(303, `/orders/${newOrderId}`);
      return;
    }
    let order: ShopOrder;
    try {
      order = await this.newOrder(product, wanted ? newOrderId : undefined);
    } catch (error) {
      // The other click inserted it first (the id is the primary key).
      if (wanted && (await this.orders.existsBy({ id: newOrderId }))) {
        res.redirect(303, `/orders/${newOrderId}`);
        return;
      }
      throw error;
    }
    const payments = this.payments.of(order.site);
    try {
      const { requestId } = await payments.chargeInstrument(card.id, {
        reference: order.id,
        description: product.name,
        amount: { currency: product.currency, total: product.price },
        // The buyer pressed the button: send their IP and browser, not the server's defaults.
        ipAddress: buyerIp(ip),
        userAgent: buyerAgent(req),
        metadata: { orderId: order.id, chargedAgainFrom: previous.id },
      });
      await this.orders.update({ id: order.id }, { requestId: String(requestId) });
    } catch (error) {
      // An ambiguous failure (timeout) leaves the payment UNKNOWN: the charge may have happened,
      // so the order keeps waiting for PlacetoPay's notification instead of failing.
      const inDoubt = (await payments.findByReference(order.id))?.status === PaymentStatus.UNKNOWN;
      if (!inDoubt) await this.orders.update({ id: order.id }, { status: 'PAYMENT_FAILED' });
      const [status, message] = chargeFailure(error, inDoubt, order.id);
      fail(status, message);
      return;
    }
    try {
      // The collect usually answers APPROVED at once: let OrderFulfilmentListener mark it paid.
      await payments.deliverPendingEvents();
    } catch {
      // The deliveries are retried (and the probe runs); the order page shows what is stored.
    }
    res.redirect(303, `/orders/${order.id}`);
  }

  private async newOrder(product: Product, id?: string): Promise<ShopOrder> {
    const order = this.orders.create({
      id: id ?? randomBytes(4).toString('hex').toUpperCase(),
      site: product.site,
      sku: product.sku,
      productName: product.name,
      price: product.price,
      currency: product.currency,
      status: 'AWAITING_PAYMENT',
      requestId: null,
    });
    // insert, not save: an existing id must fail, never be overwritten.
    await this.orders.insert(order);
    return order;
  }

  /** The card an order's payment saved (its reference is the order id), if still usable. */
  private async savedCard(order: ShopOrder): Promise<PlacetoPayInstrument | null> {
    const cards = await this.payments.of(order.site).listInstruments(order.id);
    return cards.find((card) => card.status === 'active') ?? null;
  }
}

function buyerIp(ip: string): string {
  return ip.replace(/^::ffff:/, '');
}

function buyerAgent(req: Request): string {
  return req.get('user-agent')?.slice(0, 255) || 'unknown';
}

/** What the buyer is told when Charge again fails: a status and a message, never a stack. */
function chargeFailure(error: unknown, inDoubt: boolean, orderId: string): [number, string] {
  if (inDoubt)
    return [
      502,
      `PlacetoPay did not confirm the charge; order ${orderId} will show it once PlacetoPay does`,
    ];
  if (
    error instanceof PlacetoPayInstrumentNotFoundError ||
    error instanceof PlacetoPayInstrumentRevokedError
  )
    return [409, 'This saved card was removed'];
  if (error instanceof TokenDecryptionError || error instanceof PlacetoPayConfigError)
    // The instrument key is missing or is not the one the card was saved under.
    return [409, 'Saved cards cannot be charged on this shop right now'];
  if (error instanceof PlacetoPayDuplicatePaymentError) return [409, error.message];
  if (error instanceof PlacetoPayError) return [502, error.message];
  return [502, 'Payment error'];
}
