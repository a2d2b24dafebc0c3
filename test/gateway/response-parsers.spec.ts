import {
  MalformedResponseError,
  parseRedirectInformation,
  parseStatus,
  parseTransactionActionResponse,
} from '../../lib/gateway/response-parsers';

describe('lenient response parsing', () => {
  it('keeps reason as number or text and fills missing status parts with null', () => {
    expect(parseStatus({ status: 'FAILED', reason: 401 })).toEqual({
      status: 'FAILED',
      reason: 401,
      message: null,
      date: null,
    });
    expect(
      parseStatus({ status: 'OK', reason: '00', message: 'ok', date: 'd', extra: 1 }),
    ).toMatchObject({
      reason: '00',
      extra: 1,
    });
    expect(parseStatus({ reason: {} }).status).toBe('UNKNOWN');
    expect(() => parseStatus('OK')).toThrow(MalformedResponseError);
  });

  it('parses the PHP library mocks: string totals, numeric receipt, string internalReference', () => {
    const info = parseRedirectInformation({
      requestId: '360',
      status: {
        status: 'APPROVED',
        reason: '00',
        message: 'ok',
        date: '2017-05-17T15:57:03-05:00',
      },
      payment: [
        {
          status: { status: 'APPROVED', reason: '00' },
          internalReference: '1447498827',
          amount: { currency: 'USD', total: '1000000.00' },
          receipt: 654321,
          refunded: 'false',
          processorFields: { lastDigits: '1111', b24: '00' },
        },
      ],
      subscription: { type: 'token', instrument: [{ keyword: 'token', value: 't' }] },
      futureField: [1, 2],
    });
    expect(info.requestId).toBe(360);
    expect(info.futureField).toEqual([1, 2]);
    const [tx] = info.payment;
    expect(tx.internalReference).toBe(1447498827);
    expect(tx.amount).toEqual({
      from: { currency: 'USD', total: 1000000 },
      to: { currency: 'USD', total: 1000000 },
      factor: 1,
    });
    expect(tx.receipt).toBe('654321');
    expect(tx.refunded).toBe(false);
    expect(tx.processorFields).toEqual([
      { keyword: 'lastDigits', value: '1111' },
      { keyword: 'b24', value: '00' },
    ]);
    expect(info.subscription).toMatchObject({ type: 'token', status: null });
  });

  it('refuses an answer without a usable requestId', () => {
    expect(() => parseRedirectInformation({ status: { status: 'OK' }, requestId: 'abc' })).toThrow(
      MalformedResponseError,
    );
    expect(parseRedirectInformation({ status: { status: 'PENDING' } }, 5).requestId).toBe(5);
  });

  it('reads a transaction answer whose payment is an array or an object', () => {
    const tx = { status: { status: 'APPROVED', reason: '00' }, internalReference: 7 };
    expect(
      parseTransactionActionResponse({ status: { status: 'OK' }, payment: [tx] }).payment
        ?.internalReference,
    ).toBe(7);
    expect(
      parseTransactionActionResponse({ status: { status: 'OK' }, payment: tx }).payment
        ?.internalReference,
    ).toBe(7);
    expect(parseTransactionActionResponse({ status: { status: 'OK' } }).payment).toBeNull();
  });

  it('keeps a session readable when one transaction is odd, and refuses an answer for another session', () => {
    const info = parseRedirectInformation(
      {
        requestId: null,
        status: { status: 'PENDING' },
        payment: [null, { status: null, internalReference: 1 }, 'x'],
      },
      9,
    );
    expect(info.requestId).toBe(9);
    expect(info.payment).toHaveLength(1);
    expect(info.payment[0].status).toEqual({
      status: 'UNKNOWN',
      reason: null,
      message: null,
      date: null,
    });
    expect(() =>
      parseRedirectInformation({ requestId: 6, status: { status: 'APPROVED' } }, 5),
    ).toThrow('the answer is for session 6, not 5');
  });
});
