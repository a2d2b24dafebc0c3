import { Inject } from '@nestjs/common';
import { isDefaultSite } from './config/site-name';
import { PlacetoPayClient } from './gateway/placetopay.client';
import { PlacetoPayService } from './placetopay.service';

/**
 * The token of a site's `PlacetoPayService`: the class itself for the default site (no name, or
 * `'default'`), else `'PlacetoPayService:<name>'`. For factories (`inject: [...]`) and
 * `moduleRef.get(...)` in tests.
 */
export function getPlacetoPayServiceToken(
  name?: string,
): typeof PlacetoPayService | `PlacetoPayService:${string}` {
  return isDefaultSite(name) ? PlacetoPayService : `PlacetoPayService:${name}`;
}

/** The token of a site's `PlacetoPayClient`: the class for the default site, else `'PlacetoPayClient:<name>'`. */
export function getPlacetoPayClientToken(
  name?: string,
): typeof PlacetoPayClient | `PlacetoPayClient:${string}` {
  return isDefaultSite(name) ? PlacetoPayClient : `PlacetoPayClient:${name}`;
}

/** Injects the `PlacetoPayService` of the site registered as `name` (the default site without one). */
export const InjectPlacetoPay = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getPlacetoPayServiceToken(name));

/** Injects the `PlacetoPayClient` of the site registered as `name` (the default site without one). */
export const InjectPlacetoPayClient = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getPlacetoPayClientToken(name));
