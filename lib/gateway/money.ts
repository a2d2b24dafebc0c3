import { readFileSync } from 'node:fs';
import { code as lookupCurrency } from 'currency-codes';

let withoutMinorUnits: ReadonlySet<string> | undefined;

/**
 * ISO 4217 codes whose minor units are "N.A." (XXX, XTS, XAU, XDR, ...): funds, metals and test
 * codes, not money a buyer pays in. The package's `digits` says 0 for them, so they are read from
 * the copy of ISO's list the package ships.
 */
function codesWithoutMinorUnits(): ReadonlySet<string> {
  if (withoutMinorUnits) return withoutMinorUnits;
  const codes = new Set<string>();
  try {
    const list = readFileSync(require.resolve('currency-codes/iso-4217-list-one.xml'), 'utf8');
    for (const [, entry] of list.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)) {
      const code = /<Ccy>([A-Z]{3})<\/Ccy>/.exec(entry)?.[1];
      const units = /<CcyMnrUnts>([^<]*)<\/CcyMnrUnts>/.exec(entry)?.[1];
      if (code && !/^\d+$/.test(units ?? '')) codes.add(code);
    }
  } catch {
    // A package without the list: every code it knows keeps its `digits`.
  }
  withoutMinorUnits = codes;
  return codes;
}

/** Whether `currency` is an ISO 4217 code at all, money or not (XXX, XAU, ... included). */
export function isIso4217Code(currency: unknown): currency is string {
  return typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) && !!lookupCurrency(currency);
}

/**
 * ISO 4217 minor units of a currency (COP 2, CLP 0, ...), from the `currency-codes` data; undefined
 * for a code that is not ISO 4217 or has no minor units (XXX, XTS, XAU, XDR, ...).
 */
export function currencyMinorUnits(currency: string): number | undefined {
  if (!isIso4217Code(currency) || codesWithoutMinorUnits().has(currency)) return undefined;
  return lookupCurrency(currency)?.digits;
}

/** How many decimals a number is written with (`12.5` → 1, `1e-7` → 7). */
export function decimalPlaces(value: number): number {
  const [mantissa, exponent = '0'] = value.toString().toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** A decimal total in integer minor units; throws when the total does not fit the currency. */
export function toMinorUnits(total: number, currency: string): number {
  const digits = currencyMinorUnits(currency);
  if (digits === undefined)
    throw new RangeError(`${currency} is not an ISO 4217 currency with minor units`);
  if (!Number.isFinite(total) || decimalPlaces(total) > digits) {
    throw new RangeError(`${total} has more decimals than ${currency} allows (${digits})`);
  }
  // From the digits the total is written with, not `total * 10 ** digits`: near 2^53 that
  // product rounds (80384497184648.9 COP would be 8038449718464891 cents).
  const written = String(total);
  const [whole, fraction = ''] = written.split('.');
  const minor = /e/i.test(written)
    ? Math.round(total * 10 ** digits)
    : Number(BigInt(whole + fraction.padEnd(digits, '0')));
  if (!Number.isSafeInteger(minor)) throw new RangeError(`${total} ${currency} is too large`);
  return minor;
}

/** Integer minor units back to the decimal total PlacetoPay takes. */
export function fromMinorUnits(minor: number, currency: string): number {
  const digits = currencyMinorUnits(currency);
  if (digits === undefined)
    throw new RangeError(`${currency} is not an ISO 4217 currency with minor units`);
  return Number((minor / 10 ** digits).toFixed(digits));
}
