import fc from 'fast-check';
import { TokenCipher, TokenDecryptionError } from '../../lib/instruments/token-cipher';
import { parseInstrumentKey } from '../../lib/config/instrument-key';
import { randomBytes } from 'node:crypto';

describe('the token cipher (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const cipher = new TokenCipher(key);
  const token = 'e07ca9986cf0ecac8a557fc11ed8d8f6c9b5e3a8f9d6e1a5c2b3d4e5f6a7b8c9';

  it('round-trips a token, with a fresh IV each time', () => {
    const a = cipher.encrypt(token, 'instrument-1');
    const b = cipher.encrypt(token, 'instrument-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain(token);
    expect(cipher.decrypt(a, 'instrument-1')).toBe(token);
    expect(cipher.decrypt(b, 'instrument-1')).toBe(token);
  });

  it('refuses a ciphertext moved to another instrument, or altered anywhere', () => {
    const stored = cipher.encrypt(token, 'instrument-1');
    expect(() => cipher.decrypt(stored, 'instrument-2')).toThrow(TokenDecryptionError);
    fc.assert(
      fc.property(
        fc.nat({ max: stored.length - 1 }),
        fc.constantFrom(...'ABCDEFabcdef0123456789-_'),
        (at, replacement) => {
          fc.pre(stored[at] !== replacement && stored[at] !== '.');
          const altered = stored.slice(0, at) + replacement + stored.slice(at + 1);
          expect(() => cipher.decrypt(altered, 'instrument-1')).toThrow(TokenDecryptionError);
        },
      ),
    );
  });

  it('decrypts under a previous key after a rotation and says which key is missing', () => {
    const old = cipher.encrypt(token, 'instrument-1');
    const rotated = new TokenCipher(randomBytes(32), [key]);
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.decrypt(old, 'instrument-1')).toBe(token);
    const fresh = rotated.encrypt(token, 'instrument-1');
    expect(rotated.isCurrent(fresh)).toBe(true);
    const withoutOld = new TokenCipher(randomBytes(32));
    expect(() => withoutOld.decrypt(old, 'instrument-1')).toThrow(
      /key [0-9a-f]{12}, which is not configured/,
    );
    // The message names the key's public id, never the key.
    expect(() => withoutOld.decrypt(old, 'instrument-1')).not.toThrow(key.toString('hex'));
  });

  it('reads a key as 64 hex characters or base64 of 32 bytes, nothing else', () => {
    expect(parseInstrumentKey(key.toString('hex'))).toEqual(key);
    expect(parseInstrumentKey(key.toString('base64'))).toEqual(key);
    expect(parseInstrumentKey(key.toString('base64url'))).toEqual(key);
    for (const bad of [
      '',
      'secret',
      key.toString('hex').slice(2),
      randomBytes(16).toString('base64'),
      42,
    ]) {
      expect(parseInstrumentKey(bad)).toBeNull();
    }
  });
});
