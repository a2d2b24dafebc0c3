import type { CreateSessionRequest } from 'nestjs-placetopay/wire';

export const LOGIN = 'c51ce410c124a10e0db5e4b97fc2af39';
export const SECRET_KEY = 'VQOcRcVH2DfL6Y4B';

export function minutesFromNow(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString();
}

export function sessionRequest(
  overrides: Partial<CreateSessionRequest> = {},
): CreateSessionRequest {
  return {
    payment: {
      reference: 'ORDER-1001',
      description: 'Two coffee bags',
      amount: { currency: 'COP', total: 125000 },
    },
    returnUrl: 'https://shop.example.com/return?order=1001',
    ipAddress: '127.0.0.1',
    userAgent: 'PlacetoPay Sandbox',
    expiration: minutesFromNow(30),
    ...overrides,
  };
}

export function okStatus(status = 'OK', reason: string | number = 'PC') {
  return {
    status,
    reason,
    message: 'La petición se ha procesado correctamente',
    date: '2021-11-30T15:08:27-05:00',
  };
}

export function sessionInformation(requestId: number, status = 'APPROVED') {
  return {
    requestId,
    status: {
      status,
      reason: '00',
      message: 'La petición ha sido aprobada exitosamente',
      date: '2021-11-30T15:49:47-05:00',
    },
    request: {
      locale: 'es_CO',
      payment: {
        reference: 'ORDER-1001',
        description: 'Two coffee bags',
        amount: { currency: 'COP', total: 125000 },
      },
    },
    payment: [
      {
        status: {
          status: 'APPROVED',
          reason: '00',
          message: 'Aprobada',
          date: '2021-11-30T15:49:36-05:00',
        },
        internalReference: '1',
        paymentMethod: 'visa',
        paymentMethodName: 'Visa',
        issuerName: 'JPMORGAN CHASE BANK, N.A.',
        amount: {
          from: { currency: 'COP', total: '125000.00' },
          to: { currency: 'COP', total: 125000 },
          factor: '1',
        },
        authorization: '000000',
        reference: 'ORDER-1001',
        receipt: 1000000031,
        franchise: 'DF_VS',
        refunded: false,
        processorFields: [{ keyword: 'lastDigits', value: '1111', displayOn: 'none' }],
        somethingNew: { kept: true },
      },
    ],
    subscription: null,
  };
}
