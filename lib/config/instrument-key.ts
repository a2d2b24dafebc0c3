import { createHash } from 'node:crypto';

/** A 256-bit key from its text form: 64 hex characters, or base64 / base64url of 32 bytes. */
export function parseInstrumentKey(text: unknown): Buffer | null {
  if (typeof text !== 'string') return null;
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  return null;
}

/** A short public name for a key (never the key): stored beside each ciphertext it made. */
export function instrumentKeyId(key: Buffer): string {
  return createHash('sha256')
    .update('placetopay-instrument-key')
    .update(key)
    .digest('hex')
    .slice(0, 12);
}
