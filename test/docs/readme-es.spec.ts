import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLACETOPAY_ENVIRONMENT_VARIABLES } from '../../lib/config/environment-variables';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const readmeEs = readFileSync(join(root, 'README.es.md'), 'utf8');

const codeBlocks = (text: string) => text.match(/^```[a-z]*\n[\s\S]*?^```$/gm) ?? [];
const section = (text: string, heading: string) =>
  text.split(`\n${heading}\n`)[1].split('\n## ')[0];
/** The first cell of every row of the configuration table, header and separator left out. */
const optionCells = (table: string) =>
  table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split(' | ')[0]);

describe('README.es.md', () => {
  it('links to the English README, says it is the reference, and is linked from it', () => {
    expect(readmeEs).toContain('](README.md)');
    expect(readmeEs).toContain('la referencia es el [README en inglés](README.md)');
    expect(readme).toContain('](README.es.md)');
  });

  it('documents every environment variable the module reads, as the English README does', () => {
    for (const { variable, option } of PLACETOPAY_ENVIRONMENT_VARIABLES) {
      expect(readmeEs).toContain(`| \`${option}\` | \`${variable}\` |`);
    }
  });

  it('has every row of the English configuration table, in the same order', () => {
    const english = optionCells(section(readme, '## Configuration'));
    expect(english.length).toBeGreaterThan(30);
    expect(optionCells(section(readmeEs, '## Configuración'))).toEqual(english);
  });

  it('shows only code blocks that appear, unchanged, in the English README', () => {
    const blocks = codeBlocks(readmeEs);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const block of blocks) expect(readme).toContain(block);
  });

  it('mirrors the English README section by section: the same headings, in the same order, at the same levels', () => {
    const levels = (text: string) => (text.match(/^#{2,3} /gm) ?? []).map((mark) => mark.trim());
    expect(levels(readmeEs)).toEqual(levels(readme));
    expect(levels(readme).length).toBeGreaterThan(8);
  });
});
