import { currencyMinorUnits, fromMinorUnits, toMinorUnits } from 'nestjs-placetopay/wire';

describe('money (ISO 4217 minor units)', () => {
  it('knows the minor units of the currencies PlacetoPay sites use', () => {
    expect(currencyMinorUnits('COP')).toBe(2);
    expect(currencyMinorUnits('USD')).toBe(2);
    expect(currencyMinorUnits('CLP')).toBe(0);
    expect(currencyMinorUnits('UYU')).toBe(2);
    expect(currencyMinorUnits('BHD')).toBe(3);
    expect(currencyMinorUnits('XYZ')).toBeUndefined();
    expect(currencyMinorUnits('cop')).toBeUndefined();
    // ISO 4217 gives these no minor units (N.A.), though the package's digits say 0.
    for (const code of ['XXX', 'XTS', 'XAU', 'XDR'])
      expect(currencyMinorUnits(code)).toBeUndefined();
    expect(currencyMinorUnits('XOF')).toBe(0);
  });

  it('converts totals to integer minor units and back', () => {
    expect(toMinorUnits(10000.5, 'COP')).toBe(1000050);
    expect(toMinorUnits(0.29, 'USD')).toBe(29);
    expect(toMinorUnits(1.005, 'BHD')).toBe(1005);
    expect(toMinorUnits(15000, 'CLP')).toBe(15000);
    expect(fromMinorUnits(1000050, 'COP')).toBe(10000.5);
    expect(fromMinorUnits(15000, 'CLP')).toBe(15000);
  });

  it('converts the total as written, also where multiplying it would round (found by fuzzing)', () => {
    expect(toMinorUnits(80384497184648.9, 'COP')).toBe(8038449718464890);
    expect(toMinorUnits(-12.5, 'COP')).toBe(-1250);
    expect(toMinorUnits(0.05, 'USD')).toBe(5);
  });

  it('refuses totals with more decimals than the currency has', () => {
    expect(() => toMinorUnits(10.5, 'CLP')).toThrow(RangeError);
    expect(() => toMinorUnits(0.1 + 0.2, 'USD')).toThrow(RangeError);
    expect(() => toMinorUnits(1e-7, 'USD')).toThrow(RangeError);
    expect(() => toMinorUnits(1, 'XYZ')).toThrow(RangeError);
    expect(() => toMinorUnits(1, 'XAU')).toThrow(
      'XAU is not an ISO 4217 currency with minor units',
    );
  });
});
