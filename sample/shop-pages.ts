import { randomBytes } from 'node:crypto';
import type { PlacetoPayInstrument, PlacetoPayPayment } from 'nestjs-placetopay';
import type { ShopOrder } from './shop-order.entity';
import { SHOP_SITES, type Product, type ShopSite } from './shop-catalog';

/**
 * The id the order made by Charge again will have, fixed when the page is shown: a second click
 * (or a resent form) finds that order instead of charging the card once more.
 */
function newOrderId(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}

function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#222}li{margin:.5rem 0}
button{padding:.3rem .8rem}[data-status]{font-weight:700}</style></head><body>${body}</body></html>`;
}

/** What the catalog shows of one site: its products, and whether it can save cards. */
export interface CatalogSection {
  site: ShopSite;
  products: readonly Product[];
  canSaveCard: boolean;
}

function countryOf(site: string): string {
  return SHOP_SITES.find((s) => s.name === site)?.country ?? site;
}

/**
 * One section and one form per site: each Buy button submits its own sku (the product says which
 * site sells it), and the site's "save my card" checkbox (shown when that site has an instrument
 * key) goes with whichever of its buttons is pressed.
 */
export function catalogPage(sections: readonly CatalogSection[], orders: ShopOrder[]): string {
  const forms = sections
    .map(({ site, products, canSaveCard }) => {
      const items = products
        .map(
          (
            p,
          ) => `<li>${escape(p.name)} — ${escape(p.price.toLocaleString('en-US'))} ${escape(p.currency)}
      <button type="submit" name="sku" value="${escape(p.sku)}" aria-label="Buy ${escape(p.name)}">Buy</button></li>`,
        )
        .join('');
      const saveCard = canSaveCard
        ? `<p><label><input type="checkbox" name="saveCard" value="1"> Save my card for next time</label></p>`
        : '';
      const heading = `site-${escape(site.name)}`;
      return `<section aria-labelledby="${heading}"><h2 id="${heading}">${escape(site.country)}</h2>
     <p>Paid in ${escape(site.currency)} through PlacetoPay's ${escape(site.country)} site.</p>
     <form method="post" action="/checkout"><ul>${items}</ul>${saveCard}</form></section>`;
    })
    .join('');
  const history = orders.length
    ? `<h2>Your orders</h2><ul>${orders.map((o) => `<li><a href="/orders/${escape(o.id)}">${escape(o.id)}</a> ${escape(o.productName)} (${escape(countryOf(o.site))}): ${escape(o.status)}</li>`).join('')}</ul>`
    : '';
  return layout(
    'Sample coffee shop',
    `<h1>Sample coffee shop</h1><p>Pays through PlacetoPay WebCheckout, in two countries.</p>
     ${forms}${history}`,
  );
}

/** "Visa •••• 0081": what the buyer needs to recognise a saved card, never more. */
export function cardLabel(card: PlacetoPayInstrument): string {
  const name = card.franchiseName ?? card.franchise ?? 'Card';
  return card.lastDigits ? `${name} •••• ${card.lastDigits}` : name;
}

export function orderPage(
  order: ShopOrder,
  payment: PlacetoPayPayment | null,
  savedCard: PlacetoPayInstrument | null = null,
): string {
  const chargeAgain = savedCard
    ? `<h2>Saved card</h2>
     <p>This payment saved <span data-saved-card>${escape(cardLabel(savedCard))}</span>.</p>
     <form method="post" action="/orders/${escape(order.id)}/charge-again">
       <input type="hidden" name="newOrderId" value="${escape(newOrderId())}">
       <button type="submit">Charge again</button> another ${escape(order.productName)} to this card
     </form>`
    : '';
  return layout(
    `Order ${order.id}`,
    `<h1>Order ${escape(order.id)}</h1>
     <p>${escape(order.productName)}: ${escape(order.price.toLocaleString('en-US'))} ${escape(order.currency)}</p>
     <p>Site: <span data-site>${escape(countryOf(order.site))}</span></p>
     <p>Order status: <span data-order-status>${escape(order.status)}</span></p>
     <p>Payment status: <span data-status>${escape(payment?.status ?? 'NONE')}</span></p>
     ${chargeAgain}
     <p><a href="/">Back to the shop</a></p>`,
  );
}

export function errorPage(message: string): string {
  return layout(
    'Something went wrong',
    `<h1>Something went wrong</h1><p role="alert">${escape(message)}</p><p><a href="/">Back to the shop</a></p>`,
  );
}
