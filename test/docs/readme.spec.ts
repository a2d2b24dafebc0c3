import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const squash = (text: string) => text.replace(/\s+/g, '');

describe('README', () => {
  it('shows the jest example that test/testing/readme-example.spec.ts runs', () => {
    const block = readme.split('### A jest example')[1].split('```ts\n')[1].split('```')[0];
    const spec = readFileSync(join(root, 'test/testing/readme-example.spec.ts'), 'utf8')
      .split('\n')
      .slice(1)
      .join('\n');
    expect(squash(block)).toBe(squash(spec));
  });

  it('teaches in at most 350 lines, in both languages', () => {
    for (const file of ['README.md', 'README.es.md']) {
      const lines = readFileSync(join(root, file), 'utf8').trimEnd().split('\n');
      expect(`${file}: ${lines.length} lines`).toBe(
        `${file}: ${Math.min(lines.length, 350)} lines`,
      );
    }
  });

  it('states the two commands', () => {
    expect(readme).toContain('npm ci && npm test');
    expect(readme).toContain('npm ci && npm run sample');
  });
});
