import {
  EXPIRY_GRACE_MS,
  MAX_CHECK_INTERVAL_MS,
  nextCheckAfterCheck,
  nextCheckAfterFailure,
} from '../../lib/probe/check-schedule';
import { CircuitBreaker } from '../../lib/probe/circuit-breaker';

const MINUTE = 60_000;
const INTERVAL = 12 * MINUTE;
const t0 = Date.parse('2026-11-27T10:00:00Z');
const at = (ms: number) => new Date(t0 + ms);
const delayAfter = (nowMs: number, expiresMs: number | null) =>
  nextCheckAfterCheck(at(nowMs), expiresMs === null ? null : at(expiresMs), INTERVAL).getTime() -
  (t0 + nowMs);

describe('check schedule', () => {
  it('checks every interval until the expiration, and once just after it', () => {
    expect(delayAfter(7 * MINUTE, null)).toBe(INTERVAL);
    expect(delayAfter(7 * MINUTE, 60 * MINUTE)).toBe(INTERVAL);
    // 30 min expiration: the check after the one at 25 min is at 31 min, not 37.
    expect(delayAfter(25 * MINUTE, 30 * MINUTE)).toBe(5 * MINUTE + EXPIRY_GRACE_MS);
    // A check a moment before that look does not make the payment due again at once.
    expect(delayAfter(31 * MINUTE - 10, 30 * MINUTE)).toBe(EXPIRY_GRACE_MS);
  });

  it('waits longer after the expiration, about doubling, up to the cap', () => {
    const expires = 30 * MINUTE;
    let now = expires + EXPIRY_GRACE_MS;
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const delay = delayAfter(now, expires);
      delays.push(delay);
      now += delay;
    }
    expect(delays[0]).toBe(INTERVAL);
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
      expect(delays[i]).toBeLessThanOrEqual(MAX_CHECK_INTERVAL_MS);
    }
    expect(delays[4] / delays[3]).toBeCloseTo(2, 0);
    expect(delays.at(-1)).toBe(MAX_CHECK_INTERVAL_MS);
  });

  it('retries a failed check with a jittered backoff from one minute, never beyond the interval', () => {
    const low = () => 0;
    const high = () => 0.999999;
    const delay = (failures: number, random: () => number) =>
      nextCheckAfterFailure(at(0), failures, INTERVAL, random).getTime() - t0;
    expect(delay(1, low)).toBe(30_000);
    expect(delay(1, high)).toBe(60_000);
    expect(delay(3, high)).toBe(4 * MINUTE);
    expect(delay(10, high)).toBe(INTERVAL);
    expect(delay(10, low)).toBe(INTERVAL / 2);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold of failures in a row, for a cool-down that doubles', () => {
    const breaker = new CircuitBreaker(3, 1_000, 5_000);
    expect(breaker.failed(0)).toBe(false);
    expect(breaker.failed(0)).toBe(false);
    breaker.succeeded();
    expect(breaker.failed(0)).toBe(false);
    expect(breaker.failed(0)).toBe(false);
    expect(breaker.failed(10)).toBe(true);
    expect(breaker.isOpen).toBe(true);
    expect(breaker.allows(1_009)).toBe(false);
    expect(breaker.allows(1_010)).toBe(true);
    // Half-open: one more failure opens it again, for twice as long.
    breaker.probeAgain();
    expect(breaker.isOpen).toBe(false);
    expect(breaker.failed(2_000)).toBe(true);
    expect(breaker.allows(3_999)).toBe(false);
    expect(breaker.allows(4_000)).toBe(true);
    breaker.probeAgain();
    expect(breaker.failed(4_000)).toBe(true);
    breaker.probeAgain();
    expect(breaker.failed(8_000)).toBe(true);
    expect(breaker.coolDownEndsAt).toBe(13_000);
    // A success closes it and resets the cool-down.
    breaker.probeAgain();
    breaker.succeeded();
    expect(breaker.isOpen).toBe(false);
    for (let i = 0; i < 3; i++) breaker.failed(20_000);
    expect(breaker.coolDownEndsAt).toBe(21_000);
  });
});
