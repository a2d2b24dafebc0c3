/**
 * Work a probe pass does after its checks, while the gateway answers: settling notifications
 * whose settlement failed earlier. The notifications layer implements it; the module binds it, so
 * the probe and the notifications (siblings) never import each other.
 */
export const PROBE_FOLLOW_UPS = Symbol('PROBE_FOLLOW_UPS');

export interface ProbeFollowUps {
  /** Settles the stored notifications that are due again; returns how many it settled. */
  retryNotifications(): Promise<number>;
}
