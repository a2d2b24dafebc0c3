import fc from 'fast-check';
import {
  checkNotificationSignature,
  computeNotificationSignature,
} from '../../lib/gateway/notification-signature';
import { signNotification } from 'nestjs-placetopay/testing';

// docs/protocol.md §7.3 vectors (secret 024h1IlD).
const SECRET = '024h1IlD';
const VECTORS = [
  {
    requestId: 83,
    status: 'APPROVED',
    date: '2016-10-10T16:39:57-05:00',
    sha1: '8fb4beea130ab3e75a1de956bd0213892e0f6839',
    sha256: '1a0d78ea2fcc656c718d7fa3dc13d1aef9faea442017b20c705319cb33933454',
  },
  {
    requestId: 126,
    status: 'REJECTED',
    date: '2016-10-12T01:44:37-05:00',
    sha1: '554fa6c36bd5d1376b192b8bc3a1e3dd9a01e448',
    sha256: '589064d991bc927f0fbed761f3339eb95774ac41200bc97fb314c349708b31c2',
  },
];

describe('notification signature (docs/protocol.md §7.3)', () => {
  it.each(VECTORS)('signs request $requestId like PlacetoPay', (v) => {
    const input = { requestId: v.requestId, status: v.status, date: v.date, secretKey: SECRET };
    expect(computeNotificationSignature(input)).toBe(`sha256:${v.sha256}`);
    expect(computeNotificationSignature({ ...input, algorithm: 'sha1' })).toBe(v.sha1);
    expect(signNotification(input)).toBe(`sha256:${v.sha256}`);
    expect(signNotification({ ...input, requestId: String(v.requestId), algorithm: 'sha1' })).toBe(
      v.sha1,
    );
  });

  it.each(VECTORS)('verifies both algorithms for request $requestId', (v) => {
    const input = { requestId: v.requestId, status: v.status, date: v.date, secretKey: SECRET };
    expect(checkNotificationSignature(`sha256:${v.sha256}`, input)).toEqual({
      valid: true,
      algorithm: 'sha256',
    });
    expect(checkNotificationSignature(v.sha1, input)).toEqual({ valid: true, algorithm: 'sha1' });
    expect(checkNotificationSignature(v.sha1, input, false)).toEqual({
      valid: false,
      reason: 'sha1_not_allowed',
    });
  });

  it('refuses tampered, truncated, uppercase and missing signatures', () => {
    const [v] = VECTORS;
    const input = { requestId: v.requestId, status: v.status, date: v.date, secretKey: SECRET };
    expect(
      checkNotificationSignature(`sha256:${v.sha256}`, { ...input, status: 'REJECTED' }),
    ).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(checkNotificationSignature(`sha256:${v.sha256.slice(0, 63)}`, input)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    expect(checkNotificationSignature(`sha256:${v.sha256.toUpperCase()}`, input)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    expect(checkNotificationSignature(undefined, input)).toEqual({
      valid: false,
      reason: 'missing',
    });
    expect(checkNotificationSignature('', input)).toEqual({ valid: false, reason: 'missing' });
    expect(
      checkNotificationSignature(`sha256:${v.sha256}`, { ...input, date: '2016-10-10T21:39:57Z' }),
    ).toEqual({ valid: false, reason: 'mismatch' });
  });
});

describe('notification signature properties', () => {
  const fields = fc.record({
    requestId: fc.integer({ min: 1, max: 2 ** 40 }),
    status: fc.constantFrom(
      'APPROVED',
      'REJECTED',
      'PENDING',
      'APPROVED_PARTIAL',
      'PARTIAL_EXPIRED',
    ),
    date: fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    secretKey: fc.string({ minLength: 1, maxLength: 40 }),
    algorithm: fc.constantFrom('sha256' as const, 'sha1' as const),
  });

  it('verifies whatever it signed', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const signature = signNotification(f);
        return checkNotificationSignature(signature, f).valid;
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a change to any signed field', () => {
    fc.assert(
      fc.property(
        fields,
        fc.constantFrom('requestId', 'status', 'date', 'secretKey'),
        (f, field) => {
          const signature = signNotification(f);
          const changed = {
            ...f,
            [field]:
              field === 'requestId' ? f.requestId + 1 : `${String(f[field as keyof typeof f])}x`,
          };
          return !checkNotificationSignature(signature, changed).valid;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a change to any character of the signature', () => {
    fc.assert(
      fc.property(
        fields,
        fc.nat(),
        fc.constantFrom(...'0123456789abcdefABCDEF:x'.split('')),
        (f, at, replacement) => {
          const signature = signNotification(f);
          const index = at % signature.length;
          fc.pre(signature[index] !== replacement);
          const tampered = `${signature.slice(0, index)}${replacement}${signature.slice(index + 1)}`;
          return !checkNotificationSignature(tampered, f).valid;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
