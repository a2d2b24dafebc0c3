import { Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PLACETOPAY_CLOCK, systemPlacetoPayClock, type PlacetoPayClock } from '../common/clock';
import { PlacetoPayConfigError } from '../config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { DEFAULT_SITE, isDefaultSite } from '../config/site-name';
import { PLACETOPAY_OPTIONS } from '../config/tokens';

/** One `PlacetoPayModule` registration as the health check sees it: its options and clock. */
export interface SiteGateway {
  site: string;
  options: ResolvedPlacetoPayOptions;
  clock: PlacetoPayClock;
}

/**
 * Finds each site's registration in the application: the module that holds the resolved options
 * of that site (`ResolvedPlacetoPayOptions.site`), and the clock beside them. A named site exports
 * only its tokens, so the lookup reads the modules themselves, not what they export; it works the
 * same for `forRoot`, `forRootAsync` and `clientOnly` registrations.
 */
@Injectable()
export class SiteGateways {
  private found?: Map<string, SiteGateway>;

  constructor(private readonly modules: ModulesContainer) {}

  /** The sites the application registers, in registration order. */
  sites(): string[] {
    return [...this.all().keys()];
  }

  /** The registration serving `site` (the default site without one), or a PlacetoPayConfigError. */
  get(site: string = DEFAULT_SITE): SiteGateway {
    const gateway = this.all().get(site);
    if (gateway) return gateway;
    const sites = this.sites();
    const registered = sites.map((name) => `"${name}"`).join(', ');
    const example = sites.find((name) => !isDefaultSite(name));
    throw new PlacetoPayConfigError([
      {
        option: 'PlacetoPayHealthModule',
        message: isDefaultSite(site)
          ? `no PlacetoPayModule registration without a name; this application registers the sites ${registered}: check one with forSite(${JSON.stringify(example)})`
          : `no PlacetoPayModule registration is named "${site}"; this application registers the sites ${registered}`,
      },
    ]);
  }

  /** Throws the "needs PlacetoPayModule" error when the application registers no site at all. */
  requireAny(): void {
    this.all();
  }

  private all(): Map<string, SiteGateway> {
    if (this.found) return this.found;
    const found = new Map<string, SiteGateway>();
    for (const module of this.modules.values()) {
      const options = module.providers.get(PLACETOPAY_OPTIONS)?.instance as
        ResolvedPlacetoPayOptions | undefined;
      // Not made yet (an async factory still running): looked up again on the next call.
      if (!options || typeof options.site !== 'string' || found.has(options.site)) continue;
      const clock = module.providers.get(PLACETOPAY_CLOCK)?.instance as PlacetoPayClock | undefined;
      found.set(options.site, {
        site: options.site,
        options,
        clock: clock ?? systemPlacetoPayClock,
      });
    }
    if (found.size === 0) {
      throw new PlacetoPayConfigError([
        {
          option: 'PlacetoPayHealthModule',
          message:
            'needs PlacetoPayModule: import PlacetoPayModule.forRoot() or forRootAsync() in the application',
        },
      ]);
    }
    this.found = found;
    return found;
  }
}
