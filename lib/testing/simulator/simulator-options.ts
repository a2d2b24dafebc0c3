import type { PlacetoPayHashAlgorithm } from '../../config/placetopay-options.interface';
import type { SimulatorClock } from './simulator-clock';

/** A merchant site the simulator knows. */
export interface SimulatorSite {
  login: string;
  secretKey: string;
  /** Where notifications of this site's sessions are posted (docs/protocol.md §7.1). */
  notificationUrl?: string;
  /** Notification signature: `sha256` (default, `sha256:` prefix) or legacy `sha1`. */
  signatureAlgorithm?: PlacetoPayHashAlgorithm;
  /** Shown on the checkout page. */
  merchantName?: string;
}

export interface PlacetoPaySimulatorOptions {
  sites: SimulatorSite[];
  /** Default 0: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** PlacetoPay's clock for expirations and pending resolutions. Default: the system clock. */
  clock?: SimulatorClock;
  /** Expiration of sessions created without one. Default 30 minutes. */
  defaultExpirationMinutes?: number;
  /** Rejected attempts after which a session is REJECTED. Default 10. */
  attemptsLimit?: number;
  /** When a pending card's transaction resolves, after the payment. Default 5 minutes. */
  pendingResolutionMs?: number;
  /** How often time-driven changes (expiry, pending resolutions) are applied. Default 1000 ms; 0 to disable. */
  tickMs?: number;
  /**
   * Serve the test controls over HTTP too, for apps in other languages:
   * `POST /__simulator/session/{requestId}/{approve|decline|reject|expire|cancel}`. Default false
   * (the command line turns it on).
   */
  controlApi?: boolean;
}
