import { DEFAULT_ENVIRONMENT_PREFIX } from './environment-variables';
import { PlacetoPayConfigError } from './placetopay-config.error';

/** The site of a registration without `name`: its routes, job and variables are the classic ones. */
export const DEFAULT_SITE = 'default';

/** A site's name: lowercase, a letter first, at most 32 characters (it is stored in `site`). */
export const SITE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

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
