import type { INestApplicationContext, InjectionToken } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PLACETOPAY_SITE } from '../../lib/site-registrations';

/**
 * An internal provider of one site's registration (its inbox, its probe runner, ...): a named
 * site exports only its service and client, so tests reach the rest through its module.
 */
export function siteProvider<T>(
  app: INestApplicationContext,
  site: string,
  token: InjectionToken,
): T {
  for (const module of app.get(ModulesContainer).values()) {
    if (module.providers.get(PLACETOPAY_SITE)?.instance !== site) continue;
    const wrapper = module.providers.get(token);
    if (!wrapper) throw new Error(`site ${site} has no provider ${String(token)}`);
    return wrapper.instance as T;
  }
  throw new Error(`no PlacetoPayModule registration serves the site ${site}`);
}
