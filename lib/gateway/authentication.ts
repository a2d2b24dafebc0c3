import { createHash, randomBytes } from 'node:crypto';
import type { PlacetoPayHashAlgorithm } from '../config/placetopay-options.interface';
import { systemPlacetoPayClock } from '../common/clock';

/** The `auth` block sent in the body of every request (docs/protocol.md §3.2). */
export interface PlacetoPayAuth {
  login: string;
  tranKey: string;
  nonce: string;
  seed: string;
}

export interface AuthInput {
  login: string;
  secretKey: string;
  algorithm?: PlacetoPayHashAlgorithm;
  /** The moment the seed states; defaults to now. */
  now?: Date;
  /** The raw nonce; a fresh 16 random bytes unless given (tests use the §3.3 vectors). */
  rawNonce?: Buffer;
}

/** `base64(HASH(rawNonce + seed + secretKey))` over the raw nonce and a binary digest. */
export function computeTranKey(
  rawNonce: Buffer,
  seed: string,
  secretKey: string,
  algorithm: PlacetoPayHashAlgorithm = 'sha256',
): string {
  return createHash(algorithm)
    .update(Buffer.concat([rawNonce, Buffer.from(seed, 'utf8'), Buffer.from(secretKey, 'utf8')]))
    .digest('base64');
}

export function createAuth(input: AuthInput): PlacetoPayAuth {
  const rawNonce = input.rawNonce ?? randomBytes(16);
  const seed = (input.now ?? systemPlacetoPayClock.now()).toISOString();
  return {
    login: input.login,
    tranKey: computeTranKey(rawNonce, seed, input.secretKey, input.algorithm),
    nonce: rawNonce.toString('base64'),
    seed,
  };
}
