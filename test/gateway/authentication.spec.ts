import { computeTranKey, createAuth } from '../../lib/gateway/authentication';
import { createHash } from 'node:crypto';

// docs/protocol.md §3.3 test vectors.
const VECTORS = [
  {
    name: 'A',
    rawNonce: 'ifYEPnAcJbpDVR1t',
    seed: '2016-10-26T21:37:00+00:00',
    nonce: 'aWZZRVBuQWNKYnBEVlIxdA==',
    sha1: 'Xi5xrRwrqPU21WE2JI4hyMaCvQ8=',
    sha256: 'NDlpEEAIe8sbKZ6mGWQrZwbyBB62J1LcyP/a/o7LRqY=',
  },
  {
    name: 'B',
    rawNonce: 'c9085e82debb82b0955579098be3d7ca',
    seed: '2019-04-25T18:17:23-04:00',
    nonce: 'YzkwODVlODJkZWJiODJiMDk1NTU3OTA5OGJlM2Q3Y2E=',
    sha1: 'T0O+x3gNlQUf0iBxEuenPvBPlWs=',
    sha256: 'bwQAZo6rquPWHSt3K43DFAZ36xvkSDuCl7TpCA1UPUI=',
  },
];

describe('authentication (docs/protocol.md §3)', () => {
  it.each(VECTORS)('reproduces vector $name with SHA-256 and SHA-1', (v) => {
    const raw = Buffer.from(v.rawNonce, 'utf8');
    expect(raw.toString('base64')).toBe(v.nonce);
    expect(computeTranKey(raw, v.seed, 'ABCD1234', 'sha256')).toBe(v.sha256);
    expect(computeTranKey(raw, v.seed, 'ABCD1234', 'sha1')).toBe(v.sha1);
  });

  it('builds the auth block from a raw nonce and the given time', () => {
    const auth = createAuth({
      login: 'site',
      secretKey: 'ABCD1234',
      rawNonce: Buffer.from('ifYEPnAcJbpDVR1t'),
      now: new Date('2016-10-26T21:37:00Z'),
    });
    expect(auth).toEqual({
      login: 'site',
      seed: '2016-10-26T21:37:00.000Z',
      nonce: 'aWZZRVBuQWNKYnBEVlIxdA==',
      tranKey: computeTranKey(
        Buffer.from('ifYEPnAcJbpDVR1t'),
        '2016-10-26T21:37:00.000Z',
        'ABCD1234',
      ),
    });
  });

  it('hashes the raw nonce and returns the binary digest in base64 (not hex, not base64 nonce)', () => {
    const raw = Buffer.from('0123456789abcdef');
    const seed = '2024-01-01T00:00:00.000Z';
    const expected = createHash('sha256')
      .update(Buffer.concat([raw, Buffer.from(seed + 'k')]))
      .digest();
    expect(Buffer.from(computeTranKey(raw, seed, 'k'), 'base64')).toEqual(expected);
  });

  it('draws a fresh 16-byte nonce every time', () => {
    const nonces = new Set(
      Array.from({ length: 200 }, () => createAuth({ login: 'l', secretKey: 's' }).nonce),
    );
    expect(nonces.size).toBe(200);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
  });

  it('states the seed as ISO 8601', () => {
    const { seed } = createAuth({ login: 'l', secretKey: 's', now: new Date(0) });
    expect(seed).toBe('1970-01-01T00:00:00.000Z');
  });
});
