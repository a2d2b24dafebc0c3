/**
 * The shop sells in two PlacetoPay sites, one merchant account per country: each has its own
 * credentials, currency, webhook route and probe job (docs/sites.md). A site's `name` is the
 * `name` of its PlacetoPayModule registration and the prefix of its variables (PLACETOPAY_CO_*).
 */
export const SHOP_SITES = [
  { name: 'co', country: 'Colombia', currency: 'COP' },
  { name: 'ec', country: 'Ecuador', currency: 'USD' },
] as const;

export type ShopSite = (typeof SHOP_SITES)[number];
export type ShopSiteName = ShopSite['name'];

export interface Product {
  sku: string;
  /** The site that sells it, and so the merchant account its payment goes to. */
  site: ShopSiteName;
  name: string;
  price: number;
  currency: string;
}

export const CATALOG: readonly Product[] = [
  { sku: 'COFFEE-250', site: 'co', name: 'Huila coffee, 250 g', price: 32000, currency: 'COP' },
  { sku: 'COFFEE-500', site: 'co', name: 'Nariño coffee, 500 g', price: 58500, currency: 'COP' },
  { sku: 'MUG', site: 'co', name: 'Enamel mug', price: 45000, currency: 'COP' },
  { sku: 'EC-COFFEE-340', site: 'ec', name: 'Loja coffee, 340 g', price: 18, currency: 'USD' },
  { sku: 'EC-CACAO', site: 'ec', name: 'Arriba cacao nibs, 250 g', price: 9, currency: 'USD' },
];

export function isShopSite(name: string): name is ShopSiteName {
  return SHOP_SITES.some((site) => site.name === name);
}
