import { PlacetoPayValidationError } from 'nestjs-placetopay';
import { validateCreateSessionRequest } from '../../lib/gateway/validation/request.validation';
import { sessionRequest } from '../support/fixtures';

/** The problems of a session whose payment amount is `amount`, by field. */
function problemsOf(amount: { currency: string; total: number }): Record<string, string> {
  const request = sessionRequest();
  try {
    validateCreateSessionRequest(
      { ...request, payment: { ...request.payment!, amount } },
      new Date(),
    );
  } catch (error) {
    expect(error).toBeInstanceOf(PlacetoPayValidationError);
    return Object.fromEntries(
      (error as PlacetoPayValidationError).problems.map((p) => [p.field, p.message]),
    );
  }
  return {};
}

describe('payment currencies', () => {
  it('refuses ISO 4217 codes without minor units (no currency, test, metals, funds)', () => {
    // currency-codes says `digits: 0` for these; ISO 4217 says N.A.: they are not money to pay in.
    for (const currency of ['XXX', 'XTS', 'XAU', 'XAG', 'XDR', 'XSU', 'XUA', 'XBA']) {
      expect(problemsOf({ currency, total: 10 })).toEqual({
        'payment.amount.currency':
          'must be a currency with minor units (XXX, XTS, metals and funds have none), such as COP or USD',
      });
    }
    // Real currencies with 0 minor units stay accepted.
    for (const currency of ['CLP', 'XOF', 'XAF', 'XPF', 'PYG']) {
      expect(problemsOf({ currency, total: 10 })).toEqual({});
    }
  });
});
