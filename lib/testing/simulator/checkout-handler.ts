import type { IncomingMessage, ServerResponse } from 'node:http';
import { toMinorUnits } from '../../gateway/money';
import { checkoutPage, resultPage, unavailablePage } from './checkout-page';
import { logRequest, redirect, sendHtml, type SimulatorRequestLogEntry } from './http-exchange';
import type { SessionLifecycle } from './session-lifecycle';
import { luhnValid } from './test-cards';

/**
 * The hosted checkout page at the session's processUrl: GET shows it, POST pays with the card
 * entered (or cancels) and shows the result or goes back to the merchant.
 */
export class CheckoutHandler {
  constructor(
    private readonly lifecycle: SessionLifecycle,
    private readonly requestLog: SimulatorRequestLogEntry[],
  ) {}

  handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: number,
    key: string,
    raw: string,
  ): void {
    const session = this.lifecycle.find(requestId);
    if (!session || session.key !== key) {
      this.log(req, 404);
      sendHtml(res, 404, unavailablePage());
      return;
    }
    const open = this.lifecycle.isOpen(session);
    if (req.method === 'GET') {
      this.log(req, 200, requestId);
      if (!open) sendHtml(res, 410, unavailablePage());
      else if (this.lifecycle.inProcess(session))
        sendHtml(res, 200, resultPage(session, 'PENDING', false, 'A payment is in process'));
      else sendHtml(res, 200, checkoutPage(session));
      return;
    }
    const form = new URLSearchParams(raw);
    const returnUrl = String(session.request.returnUrl);
    if (!open) {
      this.log(req, 410, requestId);
      sendHtml(res, 410, unavailablePage());
      return;
    }
    if (form.get('action') === 'cancel') {
      this.lifecycle.cancelByBuyer(session);
      this.log(req, 303, requestId);
      redirect(res, String(session.request.cancelUrl ?? returnUrl));
      return;
    }
    const card = (form.get('card') ?? '').replace(/[\s-]/g, '');
    if (!luhnValid(card)) {
      this.log(req, 422, requestId);
      sendHtml(res, 422, checkoutPage(session, 'The card number is not valid'));
      return;
    }
    let amountMinor: number | undefined;
    if (session.allowPartial && form.get('amount')) {
      const amount = Number(form.get('amount'));
      try {
        amountMinor = toMinorUnits(amount, session.currency ?? 'USD');
      } catch {
        amountMinor = -1;
      }
      if (!(amountMinor > 0)) {
        this.log(req, 422, requestId);
        sendHtml(res, 422, checkoutPage(session, 'The amount is not valid'));
        return;
      }
    }
    const tx = this.lifecycle.pay(session, {
      cardNumber: card,
      amountMinor,
      subscribe: form.get('subscribe') === '1',
    });
    this.log(req, session.request.skipResult === true ? 303 : 200, requestId);
    if (session.request.skipResult === true) {
      redirect(res, returnUrl);
      return;
    }
    const outcome = tx?.status.status ?? session.status.status;
    sendHtml(
      res,
      200,
      resultPage(
        session,
        outcome,
        this.lifecycle.isOpen(session) && !this.lifecycle.inProcess(session),
      ),
    );
  }

  private log(req: IncomingMessage, httpStatus: number, requestId?: number): void {
    logRequest(this.requestLog, 'checkoutPage', req, httpStatus, requestId);
  }
}
