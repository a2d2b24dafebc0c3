import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '..', '..');

/** Every name an entry exports, runtime values and types alike, sorted. */
function exportedNames(entry: string): string[] {
  const file = join(root, entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker
    .getExportsOfModule(module)
    .map((symbol) => symbol.name)
    .sort();
}

/** The checked-in list: one name a line, `#` comments allowed. */
function listed(file: string): string[] {
  return readFileSync(join(__dirname, file), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .sort();
}

describe('the public surface', () => {
  const entries = [
    ['lib/index.ts', 'public-api.txt'],
    ['lib/wire.ts', 'public-api.wire.txt'],
    ['lib/placetopay-config.ts', 'public-api.config.txt'],
    ['lib/testing/index.ts', 'public-api.testing.txt'],
  ];

  it.each(entries)('%s exports exactly the names in %s', (entry, list) => {
    expect(exportedNames(entry)).toEqual(listed(list));
  });

  it('keeps the root entry to at most 60 names, runtime and types together', () => {
    expect(listed('public-api.txt').length).toBeLessThanOrEqual(60);
  });

  it('keeps the names DESIGN.md promises', () => {
    const names = listed('public-api.txt');
    for (const name of [
      'PlacetoPayModule',
      'PlacetoPayService',
      'PlacetoPayClient',
      'PlacetoPayPayment',
      'PlacetoPayPaymentEvent',
      'PlacetoPayInstrument',
      'PaymentStatus',
      'OnPlacetoPayEvent',
      'PlacetoPayEvent',
      'PLACETOPAY_ENTITIES',
      'PLACETOPAY_MIGRATIONS',
    ]) {
      expect(names).toContain(name);
    }
  });
});
