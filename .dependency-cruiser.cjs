/**
 * The layer rule (CONTRIBUTING.md): folders under lib/ are layers, and an import only points down.
 *
 *   index.ts, wire.ts                      the public entries
 *   placetopay.module.ts, *.service.ts     the module and the service facade
 *   health/
 *   instruments/ notifications/ probe/ events/   siblings: none imports another
 *   payments/                              status rules and the lifecycle (the single door)
 *   persistence/                           entities, migrations, transactions, database clock
 *   gateway/                               PlacetoPay's wire protocol
 *   config/                                the option table, tokens
 *   common/                                clock, time limits, the worker loop, telemetry
 *
 * testing/ (the simulator) sits beside them: it may use common/, config/ and gateway/ only, and
 * nothing else in lib/ imports it.
 */
const LAYERS = [
  ['common', []],
  ['config', ['common']],
  ['gateway', ['common', 'config']],
  ['persistence', ['common', 'config', 'gateway']],
  ['payments', ['common', 'config', 'gateway', 'persistence']],
  ['instruments', ['common', 'config', 'gateway', 'persistence', 'payments']],
  ['notifications', ['common', 'config', 'gateway', 'persistence', 'payments']],
  ['probe', ['common', 'config', 'gateway', 'persistence', 'payments']],
  ['events', ['common', 'config', 'gateway', 'persistence', 'payments']],
  [
    'health',
    [
      'common',
      'config',
      'gateway',
      'persistence',
      'payments',
      'instruments',
      'notifications',
      'probe',
      'events',
    ],
  ],
  ['testing', ['common', 'config', 'gateway']],
];

const layerRules = LAYERS.map(([layer, below]) => ({
  name: `layer-${layer}`,
  comment: `lib/${layer}/ may import only ${below.length ? below.map((l) => `lib/${l}/`).join(', ') : 'nothing else in lib/'} (the layer order in CONTRIBUTING.md)`,
  severity: 'error',
  from: { path: `^lib/${layer}/` },
  to: { path: '^lib/', pathNot: `^lib/(${[layer, ...below].join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle between files: no layer order can hold it',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'top-not-testing',
      comment: 'the module and the service facade do not import testing/ or the public entries',
      severity: 'error',
      from: { path: '^lib/[^/]+\\.ts$', pathNot: '^lib/(index|wire)\\.ts$' },
      to: { path: '^lib/(testing/|index\\.ts$|wire\\.ts$)' },
    },
    {
      name: 'entries-not-testing',
      comment: 'the public entries never pull the simulator in',
      severity: 'error',
      from: { path: '^lib/(index|wire)\\.ts$' },
      to: { path: '^lib/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.d.ts'] },
  },
};
