import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

/** Runs the project's layer rule (what `npm run lint` runs) over `dir`'s `lib/`. */
function cruise(dir: string): { status: number | null; output: string } {
  const run = spawnSync(
    depcruise,
    ['lib', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    // CI=true makes the reporter colour its output: ask for plain text, and strip what is left.
    { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } },
  );
  // eslint-disable-next-line no-control-regex
  const plain = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  return { status: run.status, output: plain };
}

/** A throwaway tree with the project's rule and the given files. */
function plant(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node' } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the layer rule', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const dir = plant(files);
    dirs.push(dir);
    return dir;
  };

  it('holds for lib/ as it is', () => {
    const { status, output } = cruise(root);
    expect(output).toContain('no dependency violations');
    expect(status).toBe(0);
  });

  it('fails on a cycle between two files of one layer, naming them', () => {
    const { status, output } = cruise(
      tree({
        'lib/payments/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
        'lib/payments/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      }),
    );
    expect(status).not.toBe(0);
    expect(output).toMatch(/no-circular: lib\/payments\/(a|b)\.ts/);
  });

  it('fails on an import against the layer order, naming the file', () => {
    const { status, output } = cruise(
      tree({
        'lib/gateway/client.ts':
          "import { rule } from '../payments/rule';\nexport const c = rule;\n",
        'lib/payments/rule.ts': 'export const rule = 1;\n',
      }),
    );
    expect(status).not.toBe(0);
    expect(output).toContain('layer-gateway: lib/gateway/client.ts → lib/payments/rule.ts');
  });

  it('fails when one sibling imports another (probe → notifications)', () => {
    const { status, output } = cruise(
      tree({
        'lib/probe/runner.ts':
          "import { inbox } from '../notifications/inbox';\nexport const r = inbox;\n",
        'lib/notifications/inbox.ts': 'export const inbox = 1;\n',
      }),
    );
    expect(status).not.toBe(0);
    expect(output).toContain('layer-probe: lib/probe/runner.ts → lib/notifications/inbox.ts');
  });

  it('fails when the library imports the simulator', () => {
    const { status, output } = cruise(
      tree({
        'lib/placetopay.module.ts': "import { sim } from './testing/sim';\nexport const m = sim;\n",
        'lib/testing/sim.ts': 'export const sim = 1;\n',
      }),
    );
    expect(status).not.toBe(0);
    expect(output).toContain('top-not-testing: lib/placetopay.module.ts → lib/testing/sim.ts');
  });
});
