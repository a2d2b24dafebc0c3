// src/checkout.controller.ts
import { Controller, Get, Headers, Ip, NotFoundException, Param, Redirect } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PlacetoPayService } from 'nestjs-placetopay';

@Controller('checkout')
export class CheckoutController {
  constructor(
    private readonly payments: PlacetoPayService,
    private readonly config: ConfigService,
  ) {}

  @Get(':id') // GET so that a browser can open it; use POST in your app
  @Redirect()
  async pay(@Param('id') id: string, @Ip() ip: string, @Headers('user-agent') userAgent: string) {
    const { processUrl } = await this.payments.createPayment({
      reference: id,
      description: `Order ${id}`,
      amount: { currency: 'COP', total: 50000 },
      returnUrl: `${this.config.getOrThrow<string>('APP_URL')}/checkout/${id}/return`,
      ipAddress: ip,
      userAgent,
    });
    return { url: processUrl }; // the buyer pays on PlacetoPay's page
  }

  @Get(':id/return')
  async returned(@Param('id') id: string) {
    const payment = await this.payments.findByReference(id);
    if (!payment?.requestId) throw new NotFoundException();
    // Never trust the URL: ask PlacetoPay.
    const { reference, status } = await this.payments.syncPayment(payment.requestId);
    return { reference, status };
  }
}
