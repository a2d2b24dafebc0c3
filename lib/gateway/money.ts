import { code as lookupCurrency } from 'currency-codes';

/** ISO 4217 minor units of a currency code (COP 2, CLP 0, ...), from the `currency-codes` data. */
export function currencyMinorUnits(currency: string): number | undefined {
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return undefined;
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
  if (digits === undefined) throw new RangeError(`${currency} is not an ISO 4217 currency`);
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
  if (digits === undefined) throw new RangeError(`${currency} is not an ISO 4217 currency`);
  return Number((minor / 10 ** digits).toFixed(digits));
}
