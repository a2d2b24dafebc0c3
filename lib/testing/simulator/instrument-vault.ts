import { randomBytes, randomInt } from 'node:crypto';
import { GatewayRefusal } from './gateway-refusal';
import type { SimulatedInstrument, SimulatedSession } from './simulated-session';
import type { SimulatorClock } from './simulator-clock';
import type { SimulatorSite } from './simulator-options';
import { franchiseOf } from './test-cards';
import { statusStamp, type StatusStamp } from './wire-shapes';

/** The cards the simulated gateway stored as tokens, per site. */
export class InstrumentVault {
  private readonly instruments = new Map<string, SimulatedInstrument>();
  private readonly status: StatusStamp;

  constructor(private readonly clock: SimulatorClock) {
    this.status = statusStamp(clock);
  }

  /** Stores the card for the session's site; returns the session's `subscription` as queries show it. */
  subscribe(session: SimulatedSession, cardNumber: string): Record<string, unknown> {
    const franchise = franchiseOf(cardNumber);
    const instrument: SimulatedInstrument = {
      token: randomBytes(32).toString('hex'),
      subtoken: `${String(randomInt(100000000000, 999999999999))}${cardNumber.slice(-4)}`,
      login: session.site.login,
      cardNumber,
      franchise: franchise.paymentMethod,
      franchiseName: franchise.paymentMethodName,
      issuerName: franchise.issuerName,
      lastDigits: cardNumber.slice(-4),
      validUntil: `${this.clock.now().getUTCFullYear() + 3}-12-31`,
      valid: true,
    };
    this.instruments.set(instrument.token, instrument);
    const pairs = (
      [
        'token',
        'subtoken',
        'franchise',
        'franchiseName',
        'issuerName',
        'lastDigits',
        'validUntil',
      ] as const
    ).map((keyword): { keyword: string; value: unknown; displayOn: string } => ({
      keyword,
      value: instrument[keyword],
      displayOn: 'none',
    }));
    pairs.push({ keyword: 'installments', value: null, displayOn: 'none' });
    return {
      status: this.status('OK', '00', 'The payment method was subscribed'),
      type: 'token',
      instrument: pairs,
    };
  }

  /** A valid instrument of the site, by token or subtoken; anything else is refused. */
  find(site: SimulatorSite, token?: string, subtoken?: string): SimulatedInstrument {
    const instrument = [...this.instruments.values()].find(
      (i) =>
        i.login === site.login &&
        ((token && i.token === token) || (subtoken && i.subtoken === subtoken)),
    );
    if (!instrument || !instrument.valid)
      throw new GatewayRefusal(400, 'XN', 'The token used is invalid');
    return instrument;
  }

  invalidate(site: SimulatorSite, token?: string, subtoken?: string): void {
    const instrument = this.find(site, token, subtoken);
    instrument.valid = false;
  }

  of(login: string): SimulatedInstrument[] {
    return [...this.instruments.values()].filter((i) => i.login === login);
  }
}
