import { randomBytes, randomInt } from 'node:crypto';
import { currencyMinorUnits } from '../../gateway/money';
import type { PaymentRequest } from '../../gateway/wire/requests.types';
import type { SimulatedSession, SimulatedTransaction, WireStatus } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { franchiseOf } from './test-cards';
import { wireDate } from './wire-date';
import { statusStamp, type StatusStamp } from './wire-shapes';

export interface StoreSettings {
  clock: SimulatorClock;
  defaultExpirationMinutes: number;
  baseUrl: () => string;
}

/**
 * The simulated gateway's records: sessions and their transactions, numbered as PlacetoPay numbers
 * them. Lookups here are raw: they do not apply what time has done (see `SessionLifecycle`).
 */
export class SessionStore {
  private readonly sessions = new Map<number, SimulatedSession>();
  private nextRequestId = 1;
  private nextInternalReference = 1_000_000_001;
  private readonly status: StatusStamp;

  constructor(private readonly settings: StoreSettings) {
    this.status = statusStamp(settings.clock);
  }

  all(): SimulatedSession[] {
    return [...this.sessions.values()];
  }

  lookup(requestId: number): SimulatedSession | undefined {
    return this.sessions.get(requestId);
  }

  /** The session of `site` holding the payment or recurring charge with this internalReference. */
  transactionOf(
    site: SimulatorSite,
    internalReference: number,
  ): { session: SimulatedSession; tx: SimulatedTransaction } | undefined {
    for (const session of this.sessions.values()) {
      if (session.site.login !== site.login) continue;
      const tx = [...session.transactions, ...session.recurringCharges].find(
        (t) => t.internalReference === internalReference,
      );
      if (tx) return { session, tx };
    }
    return undefined;
  }

  create(
    site: SimulatorSite,
    request: Record<string, unknown>,
    kind: 'session' | 'collect' = 'session',
  ): SimulatedSession {
    const requestId = this.nextRequestId++;
    const key = randomBytes(16).toString('hex');
    const processUrl = `${this.settings.baseUrl()}/session/${requestId}/${key}`;
    const payment = request.payment as PaymentRequest | undefined;
    const subscription = request.subscription as { reference?: string } | undefined;
    const currency = payment?.amount?.currency;
    const digits = currency ? (currencyMinorUnits(currency) ?? 2) : 2;
    const now = this.settings.clock.now().getTime();
    const expiresAt =
      typeof request.expiration === 'string'
        ? Date.parse(request.expiration)
        : now + this.settings.defaultExpirationMinutes * 60_000;
    const fields = Array.isArray(request.fields) ? [...request.fields] : [];
    fields.push({ keyword: '_processUrl_', value: processUrl, displayOn: 'none' });
    // The echo never carries the instrument (token, CVV) of a collect.
    const { instrument: _instrument, ...echoed } = request;
    const echo: Record<string, unknown> = {
      ...echoed,
      fields,
      expiration: wireDate(new Date(expiresAt)),
    };
    if (kind === 'session') echo.locale = request.locale ?? 'es_CO';
    if (payment) echo.payment = { allowPartial: false, subscribe: false, ...payment };

    const session: SimulatedSession = {
      requestId,
      key,
      site,
      kind,
      request: echo,
      status: this.status('PENDING', 'PT', 'The request is pending'),
      createdAt: now,
      expiresAt,
      reference: payment?.reference ?? subscription?.reference ?? '',
      currency,
      totalMinor: payment ? Math.round(payment.amount.total * 10 ** digits) : 0,
      digits,
      allowPartial: payment?.allowPartial === true,
      paidMinor: 0,
      transactions: [],
      subscription: null,
      rejectedAttempts: 0,
      recurringCharges: [],
      recurrenceEnabled: payment?.recurring !== undefined,
    };
    this.sessions.set(requestId, session);
    return session;
  }

  processUrl(session: SimulatedSession): string {
    return `${this.settings.baseUrl()}/session/${session.requestId}/${session.key}`;
  }

  /** A new transaction of the session's reference and currency, paid with `cardNumber`; not listed yet. */
  newTransaction(
    session: SimulatedSession,
    cardNumber: string,
    amountMinor: number,
    status: WireStatus,
  ): SimulatedTransaction {
    const franchise = franchiseOf(cardNumber);
    const total = amountMinor / 10 ** session.digits;
    const currency = session.currency ?? 'USD';
    return {
      status,
      internalReference: this.nextInternalReference++,
      reference: session.reference,
      ...franchise,
      amount: { from: { currency, total }, to: { currency, total }, factor: 1 },
      authorization: '000000',
      receipt: String(randomInt(100000, 999999999)),
      refunded: false,
      processorFields: [
        { keyword: 'merchantCode', value: '7200076413', displayOn: 'none' },
        { keyword: 'terminalNumber', value: 'PT312002', displayOn: 'none' },
        { keyword: 'bin', value: cardNumber.slice(0, 6), displayOn: 'none' },
        { keyword: 'lastDigits', value: cardNumber.slice(-4), displayOn: 'none' },
      ],
      minor: amountMinor,
      refundedMinor: 0,
      cardNumber,
    };
  }
}
