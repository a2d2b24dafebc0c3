import { toMinorUnits } from '../../gateway/money';
import {
  validateCollectRequest,
  validateCreateSessionRequest,
  validateInvalidateTokenRequest,
  validateTransactionActionRequest,
} from '../../gateway/validation/request.validation';
import type { SimulatorOperation } from './fault-injector';
import { GatewayRefusal } from './gateway-refusal';
import type { SessionBook } from './session-book';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { sessionInformation, statusStamp, wireTransaction, type StatusStamp } from './wire-shapes';

/** What an endpoint does with an authenticated request (its body without `auth`). */
export type ApiHandler = (
  site: SimulatorSite,
  body: Record<string, unknown>,
) => { status?: number; json: unknown };

export interface ApiRoute {
  operation: SimulatorOperation;
  handler: ApiHandler;
}

/**
 * The REST API's endpoints: which path is which operation, and what each does with a request
 * that passed authentication. Validation problems and refusals are thrown.
 */
export class ApiEndpoints {
  private readonly status: StatusStamp;

  constructor(
    private readonly book: SessionBook,
    private readonly clock: SimulatorClock,
  ) {
    this.status = statusStamp(clock);
  }

  route(path: string): ApiRoute | undefined {
    const session = /^\/api\/session\/(\d+)(\/cancel)?$/.exec(path);
    if (session) {
      const requestId = Number(session[1]);
      return session[2]
        ? { operation: 'cancelSession', handler: (site) => this.cancelSession(site, requestId) }
        : {
            operation: 'getSession',
            handler: (site) => ({
              json: sessionInformation(this.book.lifecycle.get(site, requestId)),
            }),
          };
    }
    const fixed: Record<string, ApiRoute> = {
      '/api/session': {
        operation: 'createSession',
        handler: (site, body) => this.createSession(site, body),
      },
      '/api/collect': { operation: 'collect', handler: (site, body) => this.collect(site, body) },
      '/api/transaction': {
        operation: 'transaction',
        handler: (site, body) => this.transaction(site, body),
      },
      '/api/reverse': {
        operation: 'reverse',
        handler: (site, body) => this.legacyReverse(site, body),
      },
      '/api/instrument/invalidate': {
        operation: 'invalidateToken',
        handler: (site, body) => this.invalidate(site, body),
      },
    };
    return fixed[path];
  }

  private createSession(site: SimulatorSite, body: Record<string, unknown>) {
    validateCreateSessionRequest(body as never, this.clock.now());
    const session = this.book.store.create(site, body);
    return {
      json: {
        status: this.status('OK', 'PC', 'The request has been processed successfully'),
        requestId: session.requestId,
        processUrl: this.book.store.processUrl(session),
      },
    };
  }

  private cancelSession(site: SimulatorSite, requestId: number) {
    const session = this.book.lifecycle.get(site, requestId);
    this.book.lifecycle.cancelByMerchant(session);
    return {
      json: {
        status: this.status('OK', '00', 'The session has been cancelled'),
        session: sessionInformation(session),
      },
    };
  }

  private collect(site: SimulatorSite, body: Record<string, unknown>) {
    validateCollectRequest(body as never, this.clock.now());
    return { json: sessionInformation(this.book.collects.collect(site, body)) };
  }

  private transaction(site: SimulatorSite, body: Record<string, unknown>) {
    validateTransactionActionRequest(body as never);
    const action = body.action as string;
    const { session, tx } = this.book.transactions.find(site, body.internalReference as number);
    const amount = body.amount as { currency: string; total: number } | undefined;
    if (amount && amount.currency !== tx.amount.from.currency) {
      throw new GatewayRefusal(
        400,
        'request_not_valid',
        'The currency must be the one of the transaction',
      );
    }
    if (action === 'reverse') {
      const reversal = this.book.transactions.reverse(
        session,
        tx,
        amount ? toMinorUnits(amount.total, amount.currency) : undefined,
      );
      return {
        json: {
          status: this.approved('The transaction has been reversed'),
          payment: wireTransaction(reversal),
        },
      };
    }
    if (action === 'confirm' || action === 'cancel') {
      this.book.transactions.confirmOrCancel(tx, session, action);
      return { json: { status: { ...tx.status }, payment: wireTransaction(tx) } };
    }
    if (session.request.type !== 'checkin') {
      throw new GatewayRefusal(
        400,
        'request_not_valid',
        `The [${action}] action is not supported for this session`,
      );
    }
    tx.minor = toMinorUnits(amount!.total, amount!.currency);
    tx.amount = { from: { ...amount! }, to: { ...amount! }, factor: 1 };
    return {
      json: { status: this.approved(`The ${action} was processed`), payment: wireTransaction(tx) },
    };
  }

  private legacyReverse(site: SimulatorSite, body: Record<string, unknown>) {
    const internalReference = body.internalReference;
    if (
      typeof internalReference !== 'number' &&
      !(typeof internalReference === 'string' && /^\d+$/.test(internalReference))
    ) {
      throw new GatewayRefusal(400, 0, 'Invalid internal reference');
    }
    const { session, tx } = this.book.transactions.find(site, Number(internalReference));
    const reversal = this.book.transactions.reverse(session, tx);
    return {
      json: {
        status: this.approved('The transaction has been reversed'),
        payment: wireTransaction(reversal),
      },
    };
  }

  private invalidate(site: SimulatorSite, body: Record<string, unknown>) {
    const token =
      (body.instrument as { token?: { token?: string; subtoken?: string } } | undefined)?.token ??
      {};
    validateInvalidateTokenRequest({ ...token, locale: body.locale as string | undefined });
    this.book.instruments.invalidate(site, token.token, token.subtoken);
    return { json: { status: this.approved('The token has been invalidated') } };
  }

  private approved(message: string) {
    return this.status('APPROVED', '00', message);
  }
}
