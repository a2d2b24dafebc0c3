import { PlacetoPayValidationError } from 'nestjs-placetopay';
import { type CreateSessionRequest } from 'nestjs-placetopay/wire';
import {
  validateCollectRequest,
  validateCreateSessionRequest,
  validateInvalidateTokenRequest,
  validateTransactionActionRequest,
} from '../../lib/gateway/validation/request.validation';
import { minutesFromNow, sessionRequest } from '../support/fixtures';

const NOW = new Date();

function problemsOf(fn: () => void): Record<string, string> {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PlacetoPayValidationError);
    return Object.fromEntries(
      (error as PlacetoPayValidationError).problems.map((p) => [p.field, p.message]),
    );
  }
  return {};
}

const session = (overrides: Partial<CreateSessionRequest>) => () =>
  validateCreateSessionRequest(sessionRequest(overrides), NOW);
const payment = (changes: Record<string, unknown>) =>
  session({ payment: { ...sessionRequest().payment!, ...changes } as never });

describe('outbound validation', () => {
  it('accepts a complete, valid session request', () => {
    expect(
      problemsOf(
        session({
          locale: 'es_CO',
          cancelUrl: 'http://localhost:3000/cancel',
          ipAddress: '2001:db8::1',
          buyer: {
            documentType: 'CC',
            document: '1040035000',
            name: 'Ana',
            surname: 'Gómez',
            email: 'ana@example.com',
            mobile: '+573111111111',
            address: { street: 'Calle 1', city: 'Medellín', country: 'CO', phone: '3111111111' },
          },
          fields: [{ keyword: 'order', value: 1001, displayOn: 'none' }],
          payment: {
            reference: 'Venta_1234-ABCD#2024/03/15$500',
            description: 'Order',
            amount: {
              currency: 'COP',
              total: 119000.5,
            },
            items: [{ sku: 'A1', name: 'Coffee', category: 'physical', qty: 1, price: 100000 }],
            recurring: { periodicity: 'M', interval: 1, maxPeriods: -1, nextPayment: '2999-01-01' },
            dispersion: [
              {
                amount: {
                  currency: 'COP',
                  total: 100000,
                  taxes: [{ kind: 'valueAddedTax', amount: 19000, base: 100000 }],
                  details: [{ kind: 'shipping', amount: 0.5 }],
                },
                agreement: 1,
                agreementType: 'MERCHANT',
              },
              {
                amount: { currency: 'COP', total: 19000.5 },
                agreement: 2,
                agreementType: 'AIRLINE',
              },
            ],
          },
        }),
      ),
    ).toEqual({});
  });

  it('checks reference and description lengths', () => {
    expect(problemsOf(payment({ reference: '', description: 'x'.repeat(256) }))).toEqual({
      'payment.reference': 'must be 1 to 32 characters',
      'payment.description': 'must be 1 to 255 characters',
    });
    expect(problemsOf(payment({ reference: 'x'.repeat(33) }))).toHaveProperty([
      'payment.reference',
    ]);
    expect(problemsOf(payment({ reference: 'x'.repeat(32) }))).toEqual({});
  });

  it('checks the currency and the decimals it allows', () => {
    expect(problemsOf(payment({ amount: { currency: 'XYZ', total: 10 } }))).toEqual({
      'payment.amount.currency': 'must be an ISO 4217 currency code such as COP or USD',
    });
    expect(problemsOf(payment({ amount: { currency: 'CLP', total: 1000.5 } }))).toEqual({
      'payment.amount.total': 'must be a whole number for CLP (it has no decimals)',
    });
    expect(problemsOf(payment({ amount: { currency: 'USD', total: 10.123 } }))).toEqual({
      'payment.amount.total': 'must have at most 2 decimals for USD',
    });
    expect(problemsOf(payment({ amount: { currency: 'USD', total: 10.123 } }))).toHaveProperty([
      'payment.amount.total',
    ]);
    expect(problemsOf(payment({ amount: { currency: 'USD', total: 0 } }))).toEqual({
      'payment.amount.total': 'must be greater than 0',
    });
    expect(problemsOf(payment({ amount: { currency: 'USD', total: -1 } }))).toHaveProperty([
      'payment.amount.total',
    ]);
    expect(problemsOf(payment({ amount: { currency: 'USD', total: '10' } }))).toHaveProperty([
      'payment.amount.total',
    ]);
    expect(problemsOf(payment({ amount: { currency: 'USD', total: Number.NaN } }))).toHaveProperty([
      'payment.amount.total',
    ]);
    expect(problemsOf(payment({ amount: { currency: 'USD', total: 10.12 } }))).toEqual({});
  });

  it('checks URLs, IP, user agent, locale and expiration', () => {
    expect(
      problemsOf(
        session({
          returnUrl: '/relative/path',
          cancelUrl: `https://shop.example.com/${'x'.repeat(250)}`,
          ipAddress: 'localhost',
          userAgent: 'x'.repeat(256),
          locale: 'es-CO',
          expiration: minutesFromNow(4),
        }),
      ),
    ).toEqual({
      returnUrl: 'must be an absolute http(s) URL',
      cancelUrl: 'must be 1 to 255 characters',
      ipAddress: 'must be an IPv4 or IPv6 address',
      userAgent: 'must be 1 to 255 characters',
      locale: 'must be a locale such as es_CO or en_US',
      expiration: 'must be at least 5 minutes ahead',
    });
    const noOffset = 'must be an ISO 8601 date-time with a UTC offset (Z or ±hh:mm)';
    expect(problemsOf(session({ expiration: 'tomorrow' }))).toEqual({ expiration: noOffset });
    const local = minutesFromNow(60).slice(0, 19);
    expect(problemsOf(session({ expiration: local }))).toEqual({ expiration: noOffset });
    expect(problemsOf(session({ expiration: local.slice(0, 10) }))).toEqual({
      expiration: noOffset,
    });
    expect(problemsOf(session({ expiration: `${local}-05:00` }))).toEqual({});
    expect(problemsOf(session({ expiration: minutesFromNow(6) }))).toEqual({});
    expect(problemsOf(session({ expiration: undefined }))).toEqual({});
  });

  it('reports required fields that are missing', () => {
    const problems = problemsOf(() =>
      validateCreateSessionRequest({} as CreateSessionRequest, NOW),
    );
    expect(Object.keys(problems).sort()).toEqual([
      'ipAddress',
      'payment',
      'returnUrl',
      'userAgent',
    ]);
  });

  it('checks people: document patterns per type, names, email, country', () => {
    expect(
      problemsOf(
        session({
          buyer: {
            documentType: 'CC',
            document: '0123',
            name: 'x'.repeat(61),
            email: 'not-an-email',
            address: { country: 'COL' },
          },
          payer: { documentType: 'XX', document: '1' },
        }),
      ),
    ).toEqual({
      'buyer.document': 'is not a valid CC number',
      'buyer.name': 'must be 1 to 60 characters',
      'buyer.email': 'must be an email address',
      'buyer.address.country': 'must be an ISO 3166-1 alpha-2 code such as CO',
      'payer.documentType':
        'is not a document type PlacetoPay knows (e.g. CC, CE, NIT, PPN, CI, RUC)',
    });
    const valid: Array<[string, string]> = [
      ['CI', '1710034065'],
      ['RUC', '1790012345001'],
      ['CLRUT', '12.345.678-5'],
      ['UYCI', '1234567-8'],
      ['EIN', '12-3456789'],
      ['PPN', 'AB123456'],
      ['NIT', '9001234567'],
    ];
    for (const [documentType, document] of valid) {
      expect(problemsOf(session({ buyer: { documentType, document } }))).toEqual({});
    }
    expect(problemsOf(session({ buyer: { document: '123456' } }))).toEqual({
      'buyer.documentType': 'is required with a document',
    });
    expect(problemsOf(session({ payer: { email: `${'a'.repeat(75)}@x.com` } }))).toHaveProperty([
      'payer.email',
    ]);
  });

  it('keeps partial payments apart from taxes, recurrence and dispersion', () => {
    const problems = problemsOf(
      payment({
        allowPartial: true,
        amount: { currency: 'COP', total: 1000, taxes: [{ kind: 'valueAddedTax', amount: 100 }] },
        recurring: { periodicity: 'M', interval: 1, maxPeriods: 12 },
        dispersion: [{ amount: { currency: 'COP', total: 1000 } }],
      }),
    );
    expect(Object.keys(problems).sort()).toEqual([
      'payment.amount',
      'payment.dispersion',
      'payment.recurring',
    ]);
  });

  it('checks recurrence and dispersion rules', () => {
    expect(
      problemsOf(
        payment({
          recurring: {
            periodicity: 'W',
            interval: 0,
            maxPeriods: 0,
            nextPayment: '2000-01-01',
            notificationUrl: 'x',
          },
        }),
      ),
    ).toEqual({
      'payment.recurring.periodicity': 'must be D, M or Y',
      'payment.recurring.interval': 'must be a whole number between 1 and 366',
      'payment.recurring.maxPeriods': 'must be a whole number between 1 and 10000',
      'payment.recurring.nextPayment': 'must be in the future',
      'payment.recurring.notificationUrl': 'must be an absolute http(s) URL',
    });
    const four = Array.from({ length: 4 }, () => ({ amount: { currency: 'COP', total: 31250 } }));
    expect(problemsOf(payment({ dispersion: four }))).toEqual({
      'payment.dispersion': 'must have at most 3 entries',
    });
    expect(
      problemsOf(payment({ dispersion: [{ amount: { currency: 'USD', total: 125000 } }] })),
    ).toEqual({ 'payment.dispersion[0].amount.currency': 'must equal the payment currency' });
    expect(
      problemsOf(payment({ dispersion: [{ amount: { currency: 'COP', total: 100 } }] })),
    ).toEqual({ 'payment.dispersion': 'totals must add up to the payment total' });
  });

  it('refuses what PlacetoPay refuses: card numbers in names, taxes beside dispersion, checkin with partial', () => {
    expect(
      problemsOf(session({ payer: { name: 'Ana 4111 1111 1111 1111', surname: 'G' } })),
    ).toEqual({
      'payer.name': 'must not contain a card number',
    });
    expect(problemsOf(session({ buyer: { surname: '4111111111111111' } }))).toEqual({
      'buyer.surname': 'must not contain a card number',
    });
    expect(
      problemsOf(
        payment({
          amount: { currency: 'COP', total: 125000, taxes: [{ kind: 'valueAddedTax', amount: 1 }] },
          dispersion: [{ amount: { currency: 'COP', total: 125000 } }],
        }),
      ),
    ).toEqual({
      'payment.amount':
        'cannot carry taxes or details with dispersion: put them in each dispersion amount',
    });
    expect(
      problemsOf(
        session({ type: 'checkin', payment: { ...sessionRequest().payment!, allowPartial: true } }),
      ),
    ).toEqual({
      type: 'checkin (pre-authorization) cannot be combined with allowPartial or dispersion',
    });
  });

  it('lets through what PlacetoPay tolerates: many items, long item names, a long buyer email', () => {
    const items = Array.from({ length: 60 }, (_, i) => ({
      sku: `SKU-${'x'.repeat(40)}-${i}`,
      name: 'n'.repeat(200),
    }));
    expect(problemsOf(payment({ items }))).toEqual({});
    const longEmail = `${'a'.repeat(60)}@${'b'.repeat(30)}.example.com`;
    expect(problemsOf(session({ buyer: { email: longEmail } }))).toEqual({});
    expect(problemsOf(session({ payer: { email: longEmail } }))).toEqual({
      'payer.email': 'must be 1 to 80 characters',
    });
  });

  it('limits fields to 50 in all and checks each', () => {
    const fields = Array.from({ length: 30 }, (_, i) => ({ keyword: `k${i}`, value: i }));
    expect(
      problemsOf(session({ fields, payment: { ...sessionRequest().payment!, fields } })),
    ).toEqual({
      fields: 'must hold at most 50 entries together with payment.fields and subscription.fields',
    });
    expect(problemsOf(session({ fields: [{ keyword: '', value: 'x'.repeat(256) }] }))).toEqual({
      'fields[0].keyword': 'must be 1 to 50 characters',
      'fields[0].value': 'must be at most 255 characters',
    });
  });

  it('accepts a subscription session without a payment', () => {
    expect(
      problemsOf(
        session({
          payment: undefined,
          subscription: { reference: 'SUB-1', description: 'Save my card' },
        }),
      ),
    ).toEqual({});
  });

  it('validates collect: payer, instrument and payment', () => {
    expect(
      problemsOf(() =>
        validateCollectRequest(
          {
            payment: { reference: 'R1', description: 'd', amount: { currency: 'USD', total: 5 } },
            instrument: { token: { token: 'short', subtoken: '4111111111111111' } },
            ipAddress: '1.1.1.1',
            userAgent: 'ua',
          } as never,
          NOW,
        ),
      ),
    ).toEqual({
      payer: 'is required',
      'instrument.token': 'needs exactly one of token or subtoken',
    });
    expect(
      problemsOf(() =>
        validateCollectRequest(
          {
            payment: { reference: 'R1', description: 'd', amount: { currency: 'USD', total: 5 } },
            instrument: { token: { token: 'short', cvv: '12' } },
            payer: { name: 'A' },
            ipAddress: '1.1.1.1',
            userAgent: 'ua',
          },
          NOW,
        ),
      ),
    ).toEqual({
      'instrument.token.token': 'must be 64 characters',
      'instrument.token.cvv': 'must be 3 or 4 digits',
    });
  });

  it('validates transaction actions', () => {
    expect(
      problemsOf(() =>
        validateTransactionActionRequest({ internalReference: 0, action: 'refund' as never }),
      ),
    ).toEqual({
      internalReference: 'must be a whole number between 1 and 9007199254740991',
      action: 'must be one of checkout, reauthorization, reverse, confirm, cancel',
    });
    expect(
      problemsOf(() =>
        validateTransactionActionRequest({ internalReference: 1, action: 'reauthorization' }),
      ),
    ).toEqual({
      amount: 'is required',
    });
    expect(
      problemsOf(() =>
        validateTransactionActionRequest({
          internalReference: 1,
          action: 'checkout',
          amount: { currency: 'COP', total: 0 },
        }),
      ),
    ).toEqual({});
    expect(
      problemsOf(() =>
        validateTransactionActionRequest({
          internalReference: 1,
          action: 'reverse',
          amount: { currency: 'COP', total: 0 },
        }),
      ),
    ).toEqual({ 'amount.total': 'must be greater than 0' });
  });

  it('validates token invalidation', () => {
    expect(problemsOf(() => validateInvalidateTokenRequest({}))).toEqual({
      'instrument.token': 'needs exactly one of token or subtoken',
    });
    expect(problemsOf(() => validateInvalidateTokenRequest({ subtoken: '41111' }))).toEqual({
      'instrument.token.subtoken': 'must be 16 digits',
    });
  });
});
