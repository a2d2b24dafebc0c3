import { Body, Controller, Get, Header, HttpCode, Ip, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PlacetoPayClient, PlacetoPayError } from 'nestjs-placetopay';
import { OrdersStore } from './orders.store';
import { CATALOG } from './shop-catalog';
import { catalogPage, errorPage, orderPage } from './shop-pages';

@Controller()
export class ShopController {
  constructor(
    private readonly placetopay: PlacetoPayClient,
    private readonly orders: OrdersStore,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  catalog(): string {
    return catalogPage(CATALOG, this.orders.all());
  }

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
    const order = this.orders.create(product);
    const origin = `${req.protocol}://${req.get('host')}`;
    try {
      const session = await this.placetopay.createSession({
        payment: {
          reference: order.id,
          description: product.name,
          amount: { currency: product.currency, total: product.price },
        },
        returnUrl: `${origin}/orders/${order.id}/return`,
        ipAddress: ip.replace(/^::ffff:/, ''),
        userAgent: req.get('user-agent')?.slice(0, 255) || 'unknown',
      });
      Object.assign(order, {
        requestId: session.requestId,
        processUrl: session.processUrl,
        status: 'PENDING',
      });
      res.redirect(303, session.processUrl);
    } catch (error) {
      order.status = 'FAILED';
      res
        .status(502)
        .type('html')
        .send(errorPage(error instanceof PlacetoPayError ? error.message : 'Payment error'));
    }
  }

  /** The buyer is back: never trust the URL, ask PlacetoPay. */
  @Get('orders/:id/return')
  @HttpCode(200)
  @Header('Content-Type', 'text/html; charset=utf-8')
  async returned(@Param('id') id: string): Promise<string> {
    const order = this.orders.get(id);
    if (!order?.requestId) return errorPage('Unknown order');
    try {
      order.status = (await this.placetopay.getSession(order.requestId)).status.status;
    } catch {
      // Unknown for now; the order keeps its last known status.
    }
    return orderPage(order);
  }

  @Get('orders/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  order(@Param('id') id: string): string {
    const order = this.orders.get(id);
    return order ? orderPage(order) : errorPage('Unknown order');
  }
}
