import { DEFAULT_ENVIRONMENT_PREFIX, environmentVariables } from './environment-variables';
import { PlacetoPayConfigError } from './placetopay-config.error';

/** The site of a registration without `name`: its routes, job and variables are the classic ones. */
export const DEFAULT_SITE = 'default';

/** A site's name: lowercase, a letter first, at most 32 characters (it is stored in `site`). */
export const SITE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Names a site cannot take, each with the unnamed site's variable its prefix would read: site `N`
 * reads `PLACETOPAY_N_<VARIABLE>`, so a site `event` would read the unnamed site's
 * `PLACETOPAY_EVENT_RETRY_BASE_DELAY_MS` as one of its own.
 */
export function reservedSiteNames(): ReadonlyMap<string, string> {
  const unnamed = environmentVariables().map((entry) => entry.variable);
  const suffixes = environmentVariables('').map((entry) => entry.variable);
  const reserved = new Map<string, string>();
  for (const variable of unnamed) {
    for (const suffix of suffixes) {
      if (!variable.endsWith(`_${suffix}`)) continue;
      const name = variable.slice(DEFAULT_ENVIRONMENT_PREFIX.length, -suffix.length - 1);
      if (SITE_NAME_PATTERN.test(name.toLowerCase())) reserved.set(name.toLowerCase(), variable);
    }
  }
  return reserved;
}

/**
 * The site a registration serves: its `name`, or `default` without one. A name that is not a
 * lowercase identifier stops start-up with a PlacetoPayConfigError.
 */
export function siteOf(name: unknown): string {
  if (name === undefined || name === DEFAULT_SITE) return DEFAULT_SITE;
  if (typeof name !== 'string' || !SITE_NAME_PATTERN.test(name)) {
    throw new PlacetoPayConfigError([
      {
        option: 'name',
        message:
          'must be a lowercase site name: a letter, then letters, digits or _ (at most 32 characters), e.g. "co"',
      },
    ]);
  }
  const clash = reservedSiteNames().get(name);
  if (clash) {
    throw new PlacetoPayConfigError([
      {
        option: 'name',
        message: `cannot be "${name}": its variables (PLACETOPAY_${name.toUpperCase()}_*) would include ${clash}, which is the unnamed site's; choose another name`,
      },
    ]);
  }
  return name;
}

/** Whether a site is the unnamed one. */
export const isDefaultSite = (site: string | undefined): boolean =>
  site === undefined || site === DEFAULT_SITE;

/** The prefix of a site's variables: `PLACETOPAY_` for the default, `PLACETOPAY_CO_` for `co`. */
export function environmentPrefixOf(site: string): string {
  return isDefaultSite(site)
    ? DEFAULT_ENVIRONMENT_PREFIX
    : `${DEFAULT_ENVIRONMENT_PREFIX}${site.toUpperCase()}_`;
}

/** A name made per site: `base` for the default site, `base<separator><site>` for the others. */
export function siteScoped(base: string, site: string, separator = ':'): string {
  return isDefaultSite(site) ? base : `${base}${separator}${site}`;
}
