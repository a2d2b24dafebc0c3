import { Inject } from '@nestjs/common';

/**
 * This registration's `PlacetoPayClient`, as the module's own providers ask for it. A named site
 * provides its client only under this token and `'PlacetoPayClient:<name>'`, never as the class,
 * so `app.get(PlacetoPayClient)` or a host's plain injection never lands on a named site's client.
 */
export const PLACETOPAY_SITE_CLIENT = Symbol('PLACETOPAY_SITE_CLIENT');

/** Injects this registration's client (see PLACETOPAY_SITE_CLIENT). */
export const InjectSiteClient = (): ParameterDecorator => Inject(PLACETOPAY_SITE_CLIENT);
