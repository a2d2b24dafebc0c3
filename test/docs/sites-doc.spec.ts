import * as placetopay from 'nestjs-placetopay';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentVariables } from '../../lib/config/environment-variables';
import { SITE_NAME_PATTERN, reservedSiteNames, siteOf } from '../../lib/config/site-name';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const sites = read('docs/sites.md');

describe('docs/sites.md', () => {
  it('names only variables a site reads: PLACETOPAY_<NAME>_* is the prefix rule applied', () => {
    const known = new Set([
      ...environmentVariables().map((v) => v.variable),
      ...environmentVariables('PLACETOPAY_CO_').map((v) => v.variable),
      ...environmentVariables('PLACETOPAY_EC_').map((v) => v.variable),
    ]);
    const named = sites.match(/PLACETOPAY_[A-Z0-9_]*/g) ?? [];
    expect(named.length).toBeGreaterThan(20);
    for (const variable of named) {
      // Prefixes (PLACETOPAY_CO_<VARIABLE>, PLACETOPAY_EC_*) state the rule; they name no variable.
      if (variable.endsWith('_') || variable in placetopay) continue; // or PLACETOPAY_MIGRATIONS
      expect(known).toContain(variable);
    }
  });

  it('warns against exactly the site names whose variables are the unnamed site’s', () => {
    const defaults = new Set(environmentVariables().map((v) => v.variable));
    const suffixes = environmentVariables('').map((v) => v.variable);
    // A name N clashes when PLACETOPAY_<N>_<suffix> is an unnamed variable.
    const clashing = new Set(
      [...defaults].flatMap((variable) =>
        suffixes
          .filter((suffix) => variable.endsWith(`_${suffix}`))
          .map((suffix) => variable.slice('PLACETOPAY_'.length, -suffix.length - 1).toLowerCase())
          .filter((name) => SITE_NAME_PATTERN.test(name)),
      ),
    );
    expect([...clashing].sort()).toEqual(['event', 'recurring']);
    // The module refuses exactly those.
    expect([...reservedSiteNames().keys()].sort()).toEqual([...clashing].sort());
    expect(() => siteOf('event')).toThrow(
      /cannot be "event": its variables \(PLACETOPAY_EVENT_\*\) would include PLACETOPAY_EVENT_/,
    );
    expect(siteOf('events')).toBe('events');
    expect(sites).toContain('do not name a site `event` or `recurring`');
  });

  it('is linked from both READMEs', () => {
    expect(read('README.md')).toContain('[Several sites in one app](docs/sites.md)');
    expect(read('README.es.md')).toContain('[Varios sitios en una app](docs/sites.md)');
  });
});
