import type { PlacetoPayPayment } from 'nestjs-placetopay';
import type { ShopOrder } from './shop-order.entity';
import type { Product } from './shop-catalog';

function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#222}li{margin:.5rem 0}
button{padding:.3rem .8rem}[data-status]{font-weight:700}</style></head><body>${body}</body></html>`;
}

export function catalogPage(products: readonly Product[], orders: ShopOrder[]): string {
  const items = products
    .map(
      (
        p,
      ) => `<li>${escape(p.name)} — ${escape(p.price.toLocaleString('en-US'))} ${escape(p.currency)}
      <form method="post" action="/checkout" style="display:inline"><input type="hidden" name="sku" value="${escape(p.sku)}">
      <button type="submit" aria-label="Buy ${escape(p.name)}">Buy</button></form></li>`,
    )
    .join('');
  const history = orders.length
    ? `<h2>Your orders</h2><ul>${orders.map((o) => `<li><a href="/orders/${escape(o.id)}">${escape(o.id)}</a> ${escape(o.productName)}: ${escape(o.status)}</li>`).join('')}</ul>`
    : '';
  return layout(
    'Sample coffee shop',
    `<h1>Sample coffee shop</h1><p>Pays through PlacetoPay WebCheckout.</p><ul>${items}</ul>${history}`,
  );
}

export function orderPage(order: ShopOrder, payment: PlacetoPayPayment | null): string {
  return layout(
    `Order ${order.id}`,
    `<h1>Order ${escape(order.id)}</h1>
     <p>${escape(order.productName)}: ${escape(order.price.toLocaleString('en-US'))} ${escape(order.currency)}</p>
     <p>Order status: <span data-order-status>${escape(order.status)}</span></p>
     <p>Payment status: <span data-status>${escape(payment?.status ?? 'NONE')}</span></p>
     <p><a href="/">Back to the shop</a></p>`,
  );
}

export function errorPage(message: string): string {
  return layout(
    'Something went wrong',
    `<h1>Something went wrong</h1><p role="alert">${escape(message)}</p><p><a href="/">Back to the shop</a></p>`,
  );
}
