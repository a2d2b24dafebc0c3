import { DEFAULT_ENVIRONMENT_PREFIX } from './environment-variables';
import { OPTION_ENTRIES } from './option-table';

type Entry = (typeof OPTION_ENTRIES)[number];

const HEADER = ['Option', 'Environment variable', 'Type', 'Default', 'Description'];

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|');

function defaultOf({ required, default: fallback }: Entry): string {
  if (required) return 'required';
  if (fallback === undefined) return 'none';
  return code(typeof fallback === 'string' ? fallback : JSON.stringify(fallback));
}

function describe({ doc, secret, module, env }: Entry): string {
  const notes = [doc];
  if (secret) notes.push('Never logged.');
  if (module && env) notes.push('Read when `forRoot` / `forRootAsync` is called.');
  if (module && !env) notes.push('`forRoot` / `forRootAsync` argument only.');
  return notes.join(' ');
}

/** The README's configuration table (Markdown), one row per entry of the option table. */
export function renderOptionsTable(prefix: string = DEFAULT_ENVIRONMENT_PREFIX): string {
  const rows = OPTION_ENTRIES.map((entry) => [
    code(entry.name),
    entry.env === undefined ? '—' : code(`${prefix}${entry.env}`),
    entry.kind.type,
    defaultOf(entry),
    describe(entry),
  ]);
  return [HEADER, HEADER.map(() => '---'), ...rows]
    .map((row) => `| ${row.map(cell).join(' | ')} |\n`)
    .join('');
}
