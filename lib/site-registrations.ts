import type { Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PlacetoPayConfigError } from './config/placetopay-config.error';

/** The site a registration serves (`'default'` without a name); one per PlacetoPayModule. */
export const PLACETOPAY_SITE = Symbol('PLACETOPAY_SITE');
/** Made when the registrations of the app were checked: no two serve one site. */
const SITE_REGISTRATION_CHECK = Symbol('PLACETOPAY_SITE_REGISTRATION_CHECK');
const REGISTRATION_ID = Symbol('PLACETOPAY_REGISTRATION_ID');

/**
 * Identifies one `forRoot` / `forRootAsync` call. Nest merges dynamic modules it takes for the
 * same (by reference, or by a hash of their metadata): this keeps two calls apart in both modes,
 * so a second registration of a name is seen, and refused, instead of silently dropped.
 */
let registrations = 0;

/**
 * The providers that make a registration known to the app: its site, and a check that no other
 * registration of the app serves the same site. Two would share rows, routes and the probe's job:
 * start-up stops.
 */
export function siteRegistrationProviders(site: string): Provider[] {
  return [
    { provide: PLACETOPAY_SITE, useValue: site },
    { provide: REGISTRATION_ID, useValue: ++registrations },
    {
      provide: SITE_REGISTRATION_CHECK,
      useFactory: (modules: ModulesContainer) => {
        const count = [...modules.values()].filter(
          (module) => module.providers.get(PLACETOPAY_SITE)?.instance === site,
        ).length;
        if (count > 1) {
          throw new PlacetoPayConfigError([
            {
              option: 'name',
              message: `${count} PlacetoPayModule registrations serve the site "${site}": give each registration its own name (each name once per app)`,
            },
          ]);
        }
        return true;
      },
      inject: [ModulesContainer],
    },
  ];
}
