import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { instrumentKeyId } from '../config/instrument-key';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts payment-method tokens at rest with AES-256-GCM. Each value gets a fresh 96-bit IV; the
 * stored text is `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url), and `aad` (the instrument's
 * id) is authenticated with it, so a ciphertext copied onto another row does not decrypt.
 */
export class TokenCipher {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(current: Buffer, previous: Buffer[] = []) {
    this.currentId = instrumentKeyId(current);
    this.keys.set(this.currentId, current);
    for (const key of previous) this.keys.set(instrumentKeyId(key), key);
  }

  /** The id of the key new values are encrypted with. */
  get keyId(): string {
    return this.currentId;
  }

  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.currentId, iv, tag, body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws a `TokenDecryptionError` (with no secret in it) when the value cannot be read. */
  decrypt(stored: string, aad: string): string {
    const [version, keyId, iv, tag, body, ...rest] = stored.split('.');
    if (version !== VERSION || rest.length > 0 || !iv || !tag || body === undefined) {
      throw new TokenDecryptionError('the stored token is not in a known format');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new TokenDecryptionError(
        `the token was encrypted with key ${keyId}, which is not configured (instrumentKey / instrumentPreviousKeys)`,
      );
    }
    const [ivBytes, tagBytes, bodyBytes] = [iv, tag, body].map(canonicalBase64url);
    if (ivBytes?.length !== IV_BYTES || tagBytes?.length !== TAG_BYTES || !bodyBytes) {
      throw new TokenDecryptionError('the stored token is not in a known format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes);
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(bodyBytes), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError('the stored token failed authentication (altered or moved)');
    }
  }

  /** Whether a stored value was made with the current key (else re-encrypt it). */
  isCurrent(stored: string): boolean {
    return stored.split('.')[1] === this.currentId;
  }
}

/** The bytes of a base64url text, or null unless the text is exactly their encoding. */
function canonicalBase64url(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

export class TokenDecryptionError extends Error {
  override readonly name = 'TokenDecryptionError';
  readonly code = 'placetopay_token_undecryptable';
}
