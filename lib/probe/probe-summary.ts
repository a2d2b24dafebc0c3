/** What one probe pass did (`service.runProbe()` returns it; every pass logs it on one line). */
export interface ProbeSummary {
  /** Payments this process claimed. */
  claimed: number;
  /** Sessions queried and applied. */
  checked: number;
  /** Payments a check moved, by the status they reached. */
  settled: Record<string, number>;
  /** Checked and still open (the next check is scheduled). */
  unchanged: number;
  /** Creations that never finished, now UNKNOWN and flagged for review. */
  abandonedCreations: number;
  /** UNKNOWN redirect sessions past their expiration, ended FAILED (`expired_unconfirmed`). */
  expiredUnconfirmed: number;
  /** Given up after `probeGiveUpMs`: flagged for review, `payment.unresolved` fired. */
  unresolved: number;
  /** Checks that failed (retried later with backoff). */
  errors: number;
  /** Claimed, but left alone because the lease would not cover the check any more. */
  skipped: number;
  /** The pass stopped early, or did not start, because the gateway kept failing. */
  circuitOpen: boolean;
  /** Webhook inbox rows settled by this pass. */
  notificationsSettled: number;
  /** Charges left UNKNOWN by a lost collect answer, matched to their session (see UnknownCharges). */
  chargesMatched: number;
  durationMs: number;
}

export function emptyProbeSummary(): ProbeSummary {
  return {
    claimed: 0,
    checked: 0,
    settled: {},
    unchanged: 0,
    abandonedCreations: 0,
    expiredUnconfirmed: 0,
    unresolved: 0,
    errors: 0,
    skipped: 0,
    circuitOpen: false,
    notificationsSettled: 0,
    chargesMatched: 0,
    durationMs: 0,
  };
}

/**
 * Nothing settled, failed or needing a person: the pass logs at DEBUG, not LOG (it runs every
 * minute on every replica). Sessions checked and still open count as idle.
 */
export function isIdleProbePass(summary: ProbeSummary): boolean {
  return (
    Object.keys(summary.settled).length === 0 &&
    summary.errors === 0 &&
    !summary.circuitOpen &&
    summary.unresolved === 0 &&
    summary.abandonedCreations === 0 &&
    summary.expiredUnconfirmed === 0 &&
    summary.skipped === 0 &&
    summary.notificationsSettled === 0 &&
    summary.chargesMatched === 0
  );
}

export function describeProbeSummary(summary: ProbeSummary): string {
  const settled = Object.entries(summary.settled)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  return [
    `probe pass: claimed ${summary.claimed}`,
    `checked ${summary.checked}${settled ? ` (${settled})` : ''}`,
    `unchanged ${summary.unchanged}`,
    `errors ${summary.errors}`,
    `unresolved ${summary.unresolved}`,
    `abandoned creations ${summary.abandonedCreations}`,
    `expired unconfirmed ${summary.expiredUnconfirmed}`,
    `skipped ${summary.skipped}`,
    `notifications settled ${summary.notificationsSettled}`,
    `charges matched ${summary.chargesMatched}`,
    `${summary.circuitOpen ? 'circuit OPEN (gateway failing), ' : ''}in ${summary.durationMs} ms`,
  ].join(', ');
}
