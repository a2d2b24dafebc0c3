import { readFileSync } from 'node:fs';
import { renderOptionsTable } from '../../lib/config/render-options-table';
import { OPTION_ENTRIES } from '../../lib/config/option-table';
import { README, withOptionsTable } from '../../scripts/options-table';

describe("README's configuration table", () => {
  it('is what `npm run docs:options` renders from the option table', () => {
    const readme = readFileSync(README, 'utf8');
    const rendered = withOptionsTable(readme);
    if (rendered !== readme) {
      const lines = readme.split('\n');
      const line = rendered.split('\n').findIndex((text, index) => text !== lines[index]);
      throw new Error(
        `README.md's configuration table differs from lib/config/option-table.ts (first at line ${line + 1}): run \`npm run docs:options\``,
      );
    }
  });

  it('has one row per option, with its variable, type, default and description', () => {
    const rows = renderOptionsTable().trimEnd().split('\n');
    expect(rows[0]).toBe('| Option | Environment variable | Type | Default | Description |');
    expect(rows).toHaveLength(OPTION_ENTRIES.length + 2);
    expect(rows).toContain(
      '| `timeoutMs` | `PLACETOPAY_TIMEOUT_MS` | milliseconds, 100 to 120000 | `15000` | Hard deadline of one HTTP call, body included. |',
    );
    expect(rows.find((row) => row.startsWith('| `secretKey` '))).toMatch(
      /\| required \|.*Never logged\. \|$/,
    );
    expect(rows.find((row) => row.startsWith('| `isGlobal` '))).toContain(
      '| — | boolean | `false` |',
    );
  });

  it('renders the variables of another prefix', () => {
    expect(renderOptionsTable('PLACETOPAY_CO_')).toContain('| `login` | `PLACETOPAY_CO_LOGIN` |');
  });
});
