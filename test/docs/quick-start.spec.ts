import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const example = join(root, 'examples', 'quick-start');
const readmes = ['README.md', 'README.es.md'];

/** Every file of examples/quick-start, by its path there (`src/main.ts`, `.env.example`). */
function exampleFiles(dir = example): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? exampleFiles(join(dir, entry.name))
      : [relative(example, join(dir, entry.name))],
  );
}
/** The README's section from `## <heading>` to the next `## `. */
const section = (text: string, heading: string) =>
  text.split(`\n## ${heading}\n`)[1].split('\n## ')[0];
const codeBlocks = (text: string) => text.match(/^```[a-z]*\n[\s\S]*?^```$/gm) ?? [];
/** A block's first line names its file: `// src/main.ts` or `# .env.example: ...`. */
const namedFile = (block: string) =>
  /^```[a-z]*\n(?:\/\/ |# )(\.?[\w./-]+?)(?::.*)?\n/.exec(block)?.[1];
const quickStart: Record<string, string> = {
  'README.md': section(readFileSync(join(root, 'README.md'), 'utf8'), 'Quick start'),
  'README.es.md': section(readFileSync(join(root, 'README.es.md'), 'utf8'), 'Inicio rápido'),
};

describe('the quick start (examples/quick-start, built on a fresh `nest new` app by .ci/quick-start.sh)', () => {
  const files = exampleFiles();

  it('holds the app module, the controller, the listener, main.ts and .env.example', () => {
    expect(files.sort()).toEqual(
      [
        '.env.example',
        'src/app.module.ts',
        'src/checkout.controller.ts',
        'src/main.ts',
        'src/order-approved.listener.ts',
      ].sort(),
    );
  });

  it.each(readmes)('%s shows every file verbatim, in the order of the app', (readme) => {
    const blocks = codeBlocks(quickStart[readme]).filter((block) => namedFile(block));
    expect(blocks.map(namedFile)).toEqual([
      '.env.example',
      'src/app.module.ts',
      'src/checkout.controller.ts',
      'src/order-approved.listener.ts',
      'src/main.ts',
    ]);
    for (const block of blocks) {
      const file = readFileSync(join(example, namedFile(block)!), 'utf8');
      expect(block).toBe(`${block.split('\n')[0]}\n${file}\`\`\``);
    }
  });

  it('names its file on the first line of each file', () => {
    for (const file of files) {
      const first = readFileSync(join(example, file), 'utf8').split('\n')[0];
      expect(first === `// ${file}` || first.startsWith(`# ${file}:`)).toBe(true);
    }
  });
});
