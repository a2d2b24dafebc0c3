/**
 * Stops a probe pass when the gateway is down instead of querying every claimed payment into the
 * outage: after `threshold` gateway failures in a row it opens, and passes are skipped until the
 * cool-down ends. The cool-down doubles with each opening in a row (up to `maxCoolDownMs`); one
 * success closes it.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openings = 0;
  private openUntil = 0;

  constructor(
    private readonly threshold = 5,
    private readonly baseCoolDownMs = 60_000,
    private readonly maxCoolDownMs = 15 * 60_000,
  ) {}

  /** Whether calls may go through at monotonic time `now`. */
  allows(now: number): boolean {
    return now >= this.openUntil;
  }

  get isOpen(): boolean {
    return this.consecutiveFailures >= this.threshold;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    this.openings = 0;
  }

  /** Records a failure; true when it opened the circuit. */
  failed(now: number): boolean {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures !== this.threshold) return false;
    const coolDown = Math.min(this.maxCoolDownMs, this.baseCoolDownMs * 2 ** this.openings);
    this.openings += 1;
    this.openUntil = now + coolDown;
    return true;
  }

  /** Half-open: the next pass may try again; one more failure opens it straight away. */
  probeAgain(): void {
    if (this.consecutiveFailures >= this.threshold) this.consecutiveFailures = this.threshold - 1;
  }

  get coolDownEndsAt(): number {
    return this.openUntil;
  }
}
