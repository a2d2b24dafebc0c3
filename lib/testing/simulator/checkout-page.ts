import type { SimulatedSession } from './simulated-session';

function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatAmount(minor: number, digits: number, currency: string | undefined): string {
  return `${(minor / 10 ** digits).toFixed(digits)} ${currency ?? ''}`.trim();
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f6f8; margin: 0; color: #1d2733; }
  main { max-width: 28rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.25rem; margin-top: 0; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; }
  dt { color: #5b6775; } dd { margin: 0; font-weight: 600; }
  label { display: block; margin-top: .75rem; font-size: .9rem; }
  input[type=text], input[type=number] { width: 100%; padding: .5rem; box-sizing: border-box; font-size: 1rem; }
  .actions { display: flex; gap: .5rem; margin-top: 1.25rem; }
  button, a.button { padding: .6rem 1rem; font-size: 1rem; border-radius: 4px; border: 1px solid #0a5; background: #0a5; color: #fff; text-decoration: none; cursor: pointer; }
  button.secondary, a.secondary { background: #fff; color: #0a5; }
  .note { font-size: .8rem; color: #5b6775; }
  .error { color: #b00020; }
  [data-status] { font-size: 1.1rem; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function summary(session: SimulatedSession): string {
  const payment = session.request.payment as { description?: string } | undefined;
  const subscription = session.request.subscription as { description?: string } | undefined;
  const rows = [
    ['Merchant', session.site.merchantName ?? session.site.login],
    ['Reference', session.reference],
    ['Description', payment?.description ?? subscription?.description ?? ''],
  ];
  if (payment)
    rows.push(['Amount', formatAmount(session.totalMinor, session.digits, session.currency)]);
  if (session.paidMinor > 0)
    rows.push(['Paid so far', formatAmount(session.paidMinor, session.digits, session.currency)]);
  return `<dl>${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd data-field="${escape(k.toLowerCase())}">${escape(v)}</dd>`).join('')}</dl>`;
}

export function checkoutPage(session: SimulatedSession, error?: string): string {
  const payment = session.request.payment as { subscribe?: boolean } | undefined;
  const remaining = session.totalMinor - session.paidMinor;
  const partial = session.allowPartial
    ? `<label for="amount">Amount to pay now (${escape(session.currency)})</label>
       <input id="amount" name="amount" type="number" step="any" min="0" value="${escape((remaining / 10 ** session.digits).toFixed(session.digits))}">`
    : '';
  const subscribe = payment?.subscribe
    ? `<label><input id="subscribe" name="subscribe" type="checkbox" value="1"> Save this card for future payments</label>`
    : '';
  return layout(
    'PlacetoPay checkout (simulator)',
    `<h1>${payment ? 'Pay' : 'Save your card'} — PlacetoPay simulator</h1>
     ${summary(session)}
     ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
     <form method="post" action="${escape(`/session/${session.requestId}/${session.key}`)}">
       <label for="card">Card number</label>
       <input id="card" name="card" type="text" inputmode="numeric" autocomplete="off" required>
       <label for="expiry">Expiry (MM/YY)</label>
       <input id="expiry" name="expiry" type="text" value="12/30" autocomplete="off">
       <label for="cvv">CVV</label>
       <input id="cvv" name="cvv" type="text" value="123" autocomplete="off">
       ${partial}
       ${subscribe}
       <div class="actions">
         <button type="submit" name="action" value="pay">${payment ? 'Pay' : 'Save card'}</button>
         <button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel payment</button>
       </div>
     </form>
     <p class="note">Simulator test cards: 4110760000000081 approves, 4110760000000016 declines, 4110760000000073 is pending then approved, 4048370000000037 is pending then rejected.</p>`,
  );
}

const HEADLINES: Record<string, string> = {
  APPROVED: 'Payment approved',
  REJECTED: 'Payment rejected',
  PENDING: 'Payment pending',
  APPROVED_PARTIAL: 'Partially paid',
  PARTIAL_EXPIRED: 'Partial payment expired',
};

export function resultPage(
  session: SimulatedSession,
  outcome: string,
  canRetry: boolean,
  notice?: string,
): string {
  const returnUrl = String(session.request.returnUrl ?? '');
  return layout(
    'PlacetoPay checkout result (simulator)',
    `<h1 data-status="${escape(outcome)}">${escape(HEADLINES[outcome] ?? outcome)}</h1>
     ${summary(session)}
     ${notice ? `<p role="alert">${escape(notice)}</p>` : ''}
     <p>Status of your last transaction: <strong>${escape(outcome)}</strong>.</p>
     <div class="actions">
       <a class="button" href="${escape(returnUrl)}">Return to the merchant</a>
       ${canRetry ? `<a class="button secondary" href="${escape(`/session/${session.requestId}/${session.key}`)}">Try again</a>` : ''}
     </div>`,
  );
}

export function unavailablePage(): string {
  return layout(
    'Session not available',
    '<h1>This session is not available</h1><p>It was completed, cancelled or has expired.</p>',
  );
}
