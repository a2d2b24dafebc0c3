import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectPlacetoPay, PlacetoPayService } from 'nestjs-placetopay';
import type { ShopSiteName } from './shop-catalog';

/**
 * Each site's PlacetoPayService, injected by the site's name. A service sees only its own site's
 * payments and saved cards: an order is always paid, settled and charged again through the site
 * it remembers (`ShopOrder.site`).
 */
@Injectable()
export class ShopPayments {
  private readonly services: Record<ShopSiteName, PlacetoPayService>;

  constructor(
    @InjectPlacetoPay('co') co: PlacetoPayService,
    @InjectPlacetoPay('ec') ec: PlacetoPayService,
    private readonly config: ConfigService,
  ) {
    this.services = { co, ec };
  }

  of(site: ShopSiteName): PlacetoPayService {
    const service = this.services[site];
    if (!service) throw new Error(`The shop sells in no site named "${String(site)}"`);
    return service;
  }

  /** Saving cards needs the key that encrypts their tokens, per site: without one, don't offer it. */
  canSaveCard(site: ShopSiteName): boolean {
    return Boolean(this.config.get<string>(`PLACETOPAY_${site.toUpperCase()}_INSTRUMENT_KEY`));
  }
}
