import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const protocol = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8');
const sections = new Set(
  [...protocol.matchAll(/^#{2,3} (§\d+(?:\.\d+)*) /gm)].map((match) => match[1]),
);

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

describe('protocol citations', () => {
  const citations = [...sources(join(root, 'lib'))].flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/docs\/protocol\.md (§\d+(?:\.\d+)*)/g)].map(
      (match) => ({ file: relative(root, file), section: match[1] }),
    ),
  );

  it('the code cites the protocol, through docs/protocol.md', () => {
    expect(citations.length).toBeGreaterThan(30);
    expect(
      [...sources(join(root, 'lib'))].filter((file) =>
        /\bAPI\.md\b/.test(readFileSync(file, 'utf8')),
      ),
    ).toEqual([]);
  });

  it('every section a comment cites is a heading of docs/protocol.md', () => {
    expect(citations.filter(({ section }) => !sections.has(section))).toEqual([]);
  });
});
