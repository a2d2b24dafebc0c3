import { timingSafeEqual } from 'node:crypto';
import { computeTranKey } from '../../gateway/authentication';
import type { SimulatorSite } from './simulator-options';

const MAX_SKEW_MS = 5 * 60_000;
const NONCE_MEMORY_MS = 15 * 60_000;

export type AuthOutcome =
  { ok: true; site: SimulatorSite } | { ok: false; code: 100 | 101 | 102 | 103 };

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks an `auth` block like PlacetoPay (docs/protocol.md §3.4): 100 malformed, 101 unknown login,
 * 102 digest mismatch (SHA-256 or SHA-1 accepted), 103 seed more than 5 minutes off. A nonce
 * seen before is refused with 102. The skew is measured against the system clock, so tests
 * that move the simulator's own clock do not break authentication.
 */
export class Authenticator {
  private readonly seen = new Map<string, number>();

  constructor(private readonly sites: () => SimulatorSite[]) {}

  check(auth: unknown): AuthOutcome {
    if (typeof auth !== 'object' || auth === null) return { ok: false, code: 100 };
    const { login, tranKey, nonce, seed } = auth as Record<string, unknown>;
    if (![login, tranKey, nonce, seed].every((v) => typeof v === 'string' && v.length > 0)) {
      return { ok: false, code: 100 };
    }
    const site = this.sites().find((s) => s.login === login);
    if (!site) return { ok: false, code: 101 };
    const seedTime = Date.parse(seed as string);
    if (Number.isNaN(seedTime)) return { ok: false, code: 100 };
    if (Math.abs(Date.now() - seedTime) > MAX_SKEW_MS) return { ok: false, code: 103 };
    const rawNonce = Buffer.from(nonce as string, 'base64');
    const matches = (['sha256', 'sha1'] as const).some((algorithm) =>
      sameText(
        computeTranKey(rawNonce, seed as string, site.secretKey, algorithm),
        tranKey as string,
      ),
    );
    if (!matches) return { ok: false, code: 102 };
    this.forgetOldNonces();
    const nonceKey = `${site.login}:${nonce}`;
    if (this.seen.has(nonceKey)) return { ok: false, code: 102 };
    this.seen.set(nonceKey, Date.now());
    return { ok: true, site };
  }

  private forgetOldNonces(): void {
    const limit = Date.now() - NONCE_MEMORY_MS;
    for (const [key, at] of this.seen) {
      if (at >= limit) break;
      this.seen.delete(key);
    }
  }
}
