// jest's default reporters, followed by one line naming each skipped suite and the variable that
// runs it (after each skip warning, printed once). It wraps the default and summary reporters
// because jest always adds its summary after every configured reporter. Suites record their skips through
// test/support/skipped-suites.ts (enginesUnderTest, browserAvailable) into a file this reporter
// creates at run start (PLACETOPAY_TEST_SKIP_LOG, inherited by the workers).
//
// `npm test` runs jest twice (the reliability suite alone, last): the second run sets
// PLACETOPAY_TEST_SKIPS_CARRY=1 and adds the first run's skips (.tmp/skipped-suites.json), so the
// output still ends with one line for the whole command.
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { DefaultReporter, SummaryReporter, VerboseReporter } = require('@jest/reporters');

const SKIP_LOG_VARIABLE = 'PLACETOPAY_TEST_SKIP_LOG';

class SkipReporter {
  constructor(globalConfig, options) {
    this.carryFile = join(globalConfig.rootDir, '.tmp', 'skipped-suites.json');
    this.inner = [
      globalConfig.verbose ? new VerboseReporter(globalConfig) : new DefaultReporter(globalConfig),
      new SummaryReporter(globalConfig, options),
    ];
  }

  async onRunStart(results, options) {
    await this.each('onRunStart', results, options);
    this.dir = mkdtempSync(join(tmpdir(), 'placetopay-skips-'));
    this.log = join(this.dir, 'skips.jsonl');
    writeFileSync(this.log, '');
    process.env[SKIP_LOG_VARIABLE] = this.log;
  }

  onTestFileStart(test) {
    return this.each('onTestFileStart', test);
  }

  onTestFileResult(test, testResult, results) {
    return this.each('onTestFileResult', test, testResult, results);
  }

  onTestCaseStart(test, info) {
    return this.each('onTestCaseStart', test, info);
  }

  onTestCaseResult(test, result) {
    return this.each('onTestCaseResult', test, result);
  }

  getLastError() {
    return this.inner.map((reporter) => reporter.getLastError?.()).find(Boolean);
  }

  async each(hook, ...args) {
    const fallback = { onTestFileStart: 'onTestStart', onTestFileResult: 'onTestResult' }[hook];
    for (const reporter of this.inner) {
      const method = reporter[hook] ?? (fallback && reporter[fallback]);
      if (method) await method.apply(reporter, args);
    }
  }

  async onRunComplete(testContexts, results) {
    await this.each('onRunComplete', testContexts, results);
    let skips = readLines(this.log);
    if (process.env.PLACETOPAY_TEST_SKIPS_CARRY === '1')
      skips = [...readCarried(this.carryFile), ...skips];
    rmSync(this.dir, { recursive: true, force: true });
    skips = unique(skips, (s) => `${s.suite}\0${s.part}`);
    mkdirSync(join(this.carryFile, '..'), { recursive: true });
    writeFileSync(this.carryFile, JSON.stringify(skips, null, 2));
    if (skips.length === 0) return;
    for (const warning of new Set(skips.map((s) => s.warning)))
      process.stderr.write(`${warning}\n`);
    process.stderr.write(`${skipLine(skips)}\n`);
  }
}

/** `Skipped 3 suites (...): a.spec.ts on PostgreSQL [VAR] and MariaDB [VAR]; b.spec.ts on ...` */
function skipLine(skips) {
  const bySuite = new Map();
  for (const s of [...skips].sort((a, b) => a.suite.localeCompare(b.suite))) {
    bySuite.set(s.suite, [...(bySuite.get(s.suite) ?? []), `${s.part} [${s.variable}]`]);
  }
  const suites = [...bySuite].map(([suite, parts]) => `${suite} on ${parts.join(' and ')}`);
  const count = `${skips.length} suite${skips.length === 1 ? '' : 's'}`;
  return `Skipped ${count} (set the variable in brackets to run it): ${suites.join('; ')}`;
}

function readLines(file) {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

function readCarried(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

function unique(items, key) {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

module.exports = SkipReporter;
