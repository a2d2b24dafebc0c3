// `npm run docs:options`: rewrites README.md's configuration table from the option table
// (lib/config/option-table.ts). test/docs/options-table.spec.ts fails when the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOptionsTable } from '../lib/config/render-options-table';

export const README = join(__dirname, '..', 'README.md');
const START = '<!-- options-table:start -->';
const END = '<!-- options-table:end -->';

/** The text with the part between the markers replaced by the rendered table. */
export function withOptionsTable(text: string, table: string = renderOptionsTable()): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error(`README.md needs the lines ${START} and ${END}`);
  return `${text.slice(0, start + START.length)}\n\n${table}\n${text.slice(end)}`;
}

if (require.main === module) {
  const text = readFileSync(README, 'utf8');
  const updated = withOptionsTable(text);
  if (updated !== text) writeFileSync(README, updated);
  process.stdout.write(
    `README.md: configuration table ${updated === text ? 'unchanged' : 'rewritten'}\n`,
  );
}
