// Fails unless `npm pack` ships exactly what a user needs: compiled JS, typings, the READMEs, the
// CHANGELOG and the LICENSE.
const { execFileSync } = require('node:child_process');

const [pack] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }),
);
const files = pack.files.map((f) => f.path);
const allowed = (path) =>
  path === 'package.json' ||
  path === 'README.md' ||
  path === 'README.es.md' ||
  path === 'CHANGELOG.md' ||
  path === 'LICENSE' ||
  /^dist\/.+\.(js|d\.ts)$/.test(path);
const required = [
  'dist/index.js',
  'dist/index.d.ts',
  'dist/testing/index.js',
  'dist/testing/index.d.ts',
  'dist/testing/cli.js',
  'dist/wire.js',
  'dist/wire.d.ts',
  'dist/placetopay-config.js',
  'dist/placetopay-config.d.ts',
  'LICENSE',
  'README.md',
  'README.es.md',
  'CHANGELOG.md',
];

const unexpected = files.filter(
  (path) => !allowed(path) || /\.spec\.|^dist\/(test|sample|bench)\//.test(path),
);
const missing = required.filter((path) => !files.includes(path));
if (unexpected.length || missing.length) {
  console.error('npm pack check failed');
  if (unexpected.length) console.error(`  unexpected: ${unexpected.join(', ')}`);
  if (missing.length) console.error(`  missing: ${missing.join(', ')}`);
  process.exit(1);
}
console.warn(`npm pack check passed: ${files.length} files, ${pack.size} bytes packed`);
