/** How a peer is loaded: `require` in the package, a stand-in in tests. */
export type PeerLoad = (id: string) => unknown;

/** One optional (or peer) dependency the package loads only when a feature needs it. */
export interface Peer<T> {
  /** The package name, as `require` takes it. */
  name: string;
  /**
   * What it is for, completing "install <name>…": `' to use PlacetoPayHealthModule'` gives
   * "install @nestjs/terminus to use PlacetoPayHealthModule (npm install @nestjs/terminus)".
   */
  purpose: string;
  /** Why the loaded copy cannot be used (too old, ...), as a whole message; undefined when it can. */
  unusable?: (loaded: Partial<T> | undefined) => string | undefined;
}

/** The loaded peer, or the message that tells the host what to install. */
export type PeerOutcome<T> = { api: T; problem?: undefined } | { api?: undefined; problem: string };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeRequire: PeerLoad = (id) => require(id);

/**
 * Loads a peer through `load` (default `require`), never at import time, so that a missing copy
 * says "install X (npm install X)" instead of a bare MODULE_NOT_FOUND. A copy that is present but
 * fails to load adds the cause; one that loads but is unusable gets `peer.unusable`'s message.
 * Throws nothing: the caller turns the problem into its own error.
 */
export function loadPeer<T>(peer: Peer<T>, load: PeerLoad = nodeRequire): PeerOutcome<T> {
  let loaded: Partial<T> | undefined;
  try {
    loaded = load(peer.name) as Partial<T> | undefined;
  } catch (error) {
    const missing =
      (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(peer.name);
    const detail = error instanceof Error ? error.message : String(error);
    return { problem: installMessage(peer, missing ? '' : `; loading it failed: ${detail}`) };
  }
  const unusable = peer.unusable?.(loaded);
  if (unusable !== undefined) return { problem: unusable };
  return { api: loaded as T };
}

/** "install <name><purpose> (npm install <name>)" followed by `detail`. */
export function installMessage(peer: Pick<Peer<unknown>, 'name' | 'purpose'>, detail = ''): string {
  return `install ${peer.name}${peer.purpose} (npm install ${peer.name})${detail}`;
}
