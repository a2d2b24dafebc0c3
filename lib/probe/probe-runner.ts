import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { siteScoped } from '../config/site-name';
import { Semaphore } from 'async-mutex';
import { randomUUID } from 'node:crypto';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { worstSessionQueryMs } from '../config/resolve-options';
import { PlacetoPayAuthenticationError } from '../gateway/errors/placetopay-authentication.error';
import { PlacetoPayUnavailableError } from '../gateway/errors/placetopay-unavailable.error';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { PROBE_FOLLOW_UPS, type ProbeFollowUps } from './probe-follow-ups';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PaymentStatus, isFinalStatus } from '../payments/payment-status';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { WorkerLoop } from '../common/worker-loop';
import { nextCheckAfterCheck, nextCheckAfterFailure } from './check-schedule';
import { CircuitBreaker } from './circuit-breaker';
import { DatabaseClock } from '../persistence/database-clock';
import { UnknownCharges } from './unknown-charges';
import { ProbeLeases } from './probe-leases';
import { endUnconfirmedIfExpired } from './unconfirmed-sessions';
import { giveUp } from './give-up';
import { observeProbePass } from './probe-telemetry';
import {
  type ProbeSummary,
  describeProbeSummary,
  emptyProbeSummary,
  isIdleProbePass,
} from './probe-summary';

interface ClaimedBatch {
  owner: string;
  batch: PlacetoPayPayment[];
  /** How many payments were due when it was claimed (other replicas may have won some). */
  due: number;
  claimedAtMonotonic: number;
  now: () => Date;
}

/** Time kept in hand when deciding whether a claimed payment can still be checked. */
const LEASE_SAFETY_MS = 5_000;

/**
 * One probe pass: claim due payments in batches (leases on the database's clock), query each
 * session outside any transaction with bounded concurrency, apply it through the lifecycle
 * (source `probe`), schedule the next check. A failure stays with its payment; a gateway that keeps
 * failing opens the circuit breaker and ends the pass. Then pending webhook inbox rows are retried.
 * One pass at a time per process: a second call joins the running one.
 */
@Injectable()
export class ProbeRunner implements OnApplicationShutdown {
  /** `PlacetoPayProbe`, or `PlacetoPayProbe:<site>` for a named site. */
  private readonly logger: Logger;
  private readonly breaker = new CircuitBreaker();
  private readonly processId = randomUUID();
  private claims = 0;
  /** One pass at a time; shutdown waits for the running one to end. */
  private readonly passes = new WorkerLoop({
    pass: () => observeProbePass(this.options.site, () => this.pass()),
    onError: (error) => this.logger.error(`probe pass failed: ${reason(error)}`),
  });

  constructor(
    private readonly leases: ProbeLeases,
    private readonly clock: DatabaseClock,
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    @Inject(PROBE_FOLLOW_UPS) private readonly followUps: ProbeFollowUps,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    private readonly unknownCharges: UnknownCharges,
  ) {
    this.logger = new Logger(siteScoped('PlacetoPayProbe', options.site));
  }

  /** Runs one pass, or joins the one already running in this process. */
  run(): Promise<ProbeSummary> {
    return this.passes.run();
  }

  /** A cron tick: a pass in the background, unless one is running here; false when skipped. */
  tick(): boolean {
    return this.passes.tick();
  }

  onApplicationShutdown(): Promise<void> {
    return this.passes.stop();
  }

  private get stopped(): boolean {
    return this.passes.stopped;
  }

  private async pass(): Promise<ProbeSummary> {
    const started = performance.now();
    const summary = emptyProbeSummary();
    try {
      if (this.stopped) return summary;
      if (!this.breaker.allows(performance.now())) {
        summary.circuitOpen = true;
        return summary;
      }
      this.breaker.probeAgain();
      try {
        await this.checkDue(summary);
      } catch (error) {
        // A claim failed (the database): the pass ends; what it claimed is freed by its leases.
        summary.errors += 1;
        this.logger.warn(`probe pass stopped: ${reason(error)}`);
      }
      if (!this.breaker.isOpen && !this.stopped) {
        summary.notificationsSettled = await this.followUps.retryNotifications();
        summary.chargesMatched = await this.unknownCharges.match();
      }
      summary.circuitOpen = this.breaker.isOpen;
      return summary;
    } finally {
      summary.durationMs = Math.round(performance.now() - started);
      const line = describeProbeSummary(summary);
      if (summary.errors > 0 || summary.circuitOpen) this.logger.warn(line);
      else if (!isIdleProbePass(summary)) this.logger.log(line);
      else this.logger.debug(line); // an idle pass: every minute, nothing to tell
    }
  }

  private async checkDue(summary: ProbeSummary): Promise<void> {
    const { probeConcurrency } = this.options;
    // A claimed payment is only checked while its lease still covers the slowest possible check.
    const usableLeaseMs =
      this.options.probeLeaseMs - worstSessionQueryMs(this.options) - LEASE_SAFETY_MS;
    const slots = new Semaphore(probeConcurrency);
    const inFlight = new Set<Promise<void>>();
    try {
      // The next batch is claimed while this one is dispatched, so no slot waits for a claim.
      await this.dispatch(this.claimAhead(), slots, inFlight, usableLeaseMs, summary);
    } finally {
      // Whatever ended the loop (even a failed claim), the pass ends after its checks do.
      await Promise.allSettled(inFlight);
    }
  }

  private async dispatch(
    first: Promise<ClaimedBatch | null>,
    slots: Semaphore,
    inFlight: Set<Promise<void>>,
    usableLeaseMs: number,
    summary: ProbeSummary,
  ): Promise<void> {
    const { probeBatchSize, probeConcurrency } = this.options;
    let next: Promise<ClaimedBatch | null> | null = first;
    while (next) {
      const claim = await next;
      next = null;
      if (!claim) break;
      summary.claimed += claim.batch.length;
      const more = claim.due === probeBatchSize && !this.stopped && !this.breaker.isOpen;
      const left: string[] = [];
      for (const [index, payment] of claim.batch.entries()) {
        // Fewer due than asked for means nothing more is due (what other replicas won, they check).
        if (more && !next && claim.batch.length - index <= probeConcurrency) {
          // Checks still writing their results hold their rows: never more than a batch of them.
          while (inFlight.size > probeBatchSize) await Promise.race(inFlight);
          next = this.claimAhead();
        }
        const [, release] = await slots.acquire();
        if (this.stopped || this.breaker.isOpen) {
          release();
          left.push(payment.id);
          continue;
        }
        if (performance.now() - claim.claimedAtMonotonic > usableLeaseMs) {
          release();
          summary.skipped += 1;
          left.push(payment.id);
          continue;
        }
        // The slot bounds the session queries in flight; it is freed as soon as this one has its
        // answer, so the next query does not wait for this one's database write.
        let freed = false;
        const free = () => {
          if (!freed) release();
          freed = true;
        };
        const check = this.check(payment, claim.owner, claim.now, summary, free).finally(() => {
          free();
          inFlight.delete(check);
        });
        inFlight.add(check);
      }
      if (more && !next && !this.stopped && !this.breaker.isOpen) next = this.claimAhead();
      await this.leases.release(claim.owner, left).catch((error: unknown) => {
        this.logger.warn(`probe could not free ${left.length} claims: ${reason(error)}`);
      });
      if (next && (this.stopped || this.breaker.isOpen)) {
        // Claimed ahead, not to be checked now: free it at once for the next pass or replica.
        const unused = await next;
        next = null;
        if (unused) {
          summary.claimed += unused.batch.length;
          await this.leases
            .release(
              unused.owner,
              unused.batch.map((payment) => payment.id),
            )
            .catch(() => undefined);
        }
      }
    }
  }

  /** `claimBatch`, awaited later: a failure surfaces there, not as an unhandled rejection. */
  private claimAhead(): Promise<ClaimedBatch | null> {
    const claim = this.claimBatch();
    claim.catch(() => undefined);
    return claim;
  }

  /** Claims the next batch of due payments under a fresh owner token; null when none is due. */
  private async claimBatch(): Promise<ClaimedBatch | null> {
    const owner = `${this.processId}:${++this.claims}`;
    // Taken before the clock is read, so the time left on the lease is never overestimated.
    const claimedAtMonotonic = performance.now();
    const claimedAt = await this.clock.now();
    const { won, due } = await this.leases.claim(
      claimedAt,
      this.options.probeBatchSize,
      owner,
      this.options.probeLeaseMs,
    );
    if (due === 0) return null;
    return {
      owner,
      batch: won,
      due,
      claimedAtMonotonic,
      // The database's clock, advanced by the time this process has seen go by since.
      now: () => new Date(claimedAt.getTime() + performance.now() - claimedAtMonotonic),
    };
  }

  private async check(
    payment: PlacetoPayPayment,
    owner: string,
    now: () => Date,
    summary: ProbeSummary,
    queried: () => void,
  ): Promise<void> {
    try {
      if (payment.status === PaymentStatus.CREATING) {
        const moved = await this.lifecycle.recordCreationUnknown(
          payment.id,
          'the process creating this payment stopped before PlacetoPay answered',
        );
        if (!moved) {
          // Its creation finished meanwhile: the schedule it set stands.
          await this.leases.release(owner, [payment.id]);
          return;
        }
        summary.abandonedCreations += 1;
        this.logger.warn(
          `payment ${payment.id} (reference ${payment.reference}) never finished its creation: UNKNOWN, needs review`,
        );
        return;
      }
      if (payment.status === PaymentStatus.UNKNOWN) {
        const deps = { lifecycle: this.lifecycle, leases: this.leases, options: this.options };
        if (await endUnconfirmedIfExpired(payment, now(), owner, deps))
          summary.expiredUnconfirmed++;
        return;
      }
      if (payment.requestId === null) {
        await giveUp(this.lifecycle, this.logger, payment, now(), summary);
        return;
      }
      let session;
      try {
        session = await this.client.getSession(payment.requestId);
        this.breaker.succeeded();
      } catch (error) {
        // Counted before the slot is freed, so an opening breaker stops the next query.
        this.countGatewayFailure(error);
        throw error;
      } finally {
        queried();
      }
      const nextCheckAt = nextCheckAfterCheck(
        now(),
        payment.expiresAt,
        this.options.probeIntervalMs,
      );
      // Past the give-up age the payment still gets this last look before it is given up.
      const givingUp = now().getTime() - payment.createdAt.getTime() >= this.options.probeGiveUpMs;
      // A change the session brings carries the next check in the same UPDATE.
      const { outcome, scheduled } = await this.lifecycle.applyWith(
        { source: 'probe', session },
        {
          // The row as claimed: a change made since then makes the first write lose and retry.
          current: payment,
          leaseOwner: owner,
          schedule: givingUp
            ? undefined
            : (current) => ({
                nextCheckAt,
                checkAttempts: current.checkAttempts + 1,
                leaseOwner: null,
                leaseUntil: null,
              }),
        },
      );
      summary.checked += 1;
      const status = outcome.kind === 'transitioned' ? outcome.to : undefined;
      if (status) summary.settled[status] = (summary.settled[status] ?? 0) + 1;
      else summary.unchanged += 1;
      if (status && isFinalStatus(status as PaymentStatus)) return;
      if (givingUp) await giveUp(this.lifecycle, this.logger, payment, now(), summary);
      else if (!scheduled) await this.leases.reschedule(payment.id, owner, nextCheckAt);
    } catch (error) {
      summary.errors += 1;
      this.logger.warn(
        `probe could not check payment ${payment.id} (requestId ${payment.requestId}): ${reason(error)}`,
      );
      await this.leases
        .reschedule(
          payment.id,
          owner,
          nextCheckAfterFailure(now(), payment.checkAttempts + 1, this.options.probeIntervalMs),
        )
        .catch((rescheduleError: unknown) =>
          this.logger.warn(
            `probe could not reschedule payment ${payment.id}: ${reason(rescheduleError)}; its lease will run out`,
          ),
        );
    }
  }

  /** Outages and refused credentials count towards the breaker; a refusal of one session does not. */
  private countGatewayFailure(error: unknown): void {
    const outage =
      error instanceof PlacetoPayUnavailableError || error instanceof PlacetoPayAuthenticationError;
    if (outage && this.breaker.failed(performance.now())) {
      const wait = Math.round(this.breaker.coolDownEndsAt - performance.now());
      this.logger.warn(`the gateway keeps failing (${reason(error)}): probe paused for ${wait} ms`);
    }
  }
}
