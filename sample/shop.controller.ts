import { Body, Controller, Get, Header, Ip, Param, Post, Req, Res } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { PlacetoPayError, PlacetoPayService, type PlacetoPayPayment } from 'nestjs-placetopay';
import { randomBytes } from 'node:crypto';
import type { Repository } from 'typeorm';
import { CATALOG } from './shop-catalog';
import { ShopOrder } from './shop-order.entity';
import { catalogPage, errorPage, orderPage } from './shop-pages';

@Controller()
export class ShopController {
  constructor(
    private readonly payments: PlacetoPayService,
    @InjectRepository(ShopOrder) private readonly orders: Repository<ShopOrder>,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async catalog(): Promise<string> {
    return catalogPage(CATALOG, await this.orders.find({ order: { id: 'ASC' } }));
  }

  /** The Pay button: store the order, create the payment, send the buyer to PlacetoPay. */
  @Post('checkout')
  async checkout(
    @Body('sku') sku: string,
    @Ip() ip: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const product = CATALOG.find((p) => p.sku === sku);
    if (!product) {
      res.status(400).type('html').send(errorPage('Unknown product'));
      return;
    }
    const order = await this.orders.save(
      this.orders.create({
        id: randomBytes(4).toString('hex').toUpperCase(),
        sku: product.sku,
        productName: product.name,
        price: product.price,
        currency: product.currency,
        status: 'AWAITING_PAYMENT',
        requestId: null,
      }),
    );
    try {
      const { requestId, processUrl } = await this.payments.createPayment({
        reference: order.id,
        description: product.name,
        amount: { currency: product.currency, total: product.price },
        returnUrl: `${req.protocol}://${req.get('host')}/orders/${order.id}/return`,
        ipAddress: ip.replace(/^::ffff:/, ''),
        userAgent: req.get('user-agent')?.slice(0, 255) || 'unknown',
        metadata: { orderId: order.id },
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
    let payment: PlacetoPayPayment | null;
    try {
      payment = await this.payments.syncPayment(Number(order.requestId));
      // Let the listeners (OrderFulfilmentListener) run before rendering what they change.
      await this.payments.deliverPendingEvents();
    } catch {
      // PlacetoPay did not answer: show what is stored; the probe settles it later.
      payment = await this.payments.findByRequestId(Number(order.requestId));
    }
    return orderPage((await this.orders.findOneBy({ id }))!, payment);
  }

  @Get('orders/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async order(@Param('id') id: string): Promise<string> {
    const order = await this.orders.findOneBy({ id });
    if (!order) return errorPage('Unknown order');
    const payment = order.requestId
      ? await this.payments.findByRequestId(Number(order.requestId))
      : null;
    return orderPage(order, payment);
  }
}
