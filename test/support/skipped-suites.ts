import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Where the skip reporter (skip-reporter.js) collects this run's skips; set by it at run start. */
export const SKIP_LOG_VARIABLE = 'PLACETOPAY_TEST_SKIP_LOG';

/** One part of a suite that did not run, and the variable that would run it. */
export interface SkippedSuite {
  /** The suite's file, from the repository root. */
  suite: string;
  /** What did not run: `PostgreSQL`, `MariaDB`, `Chromium`. */
  part: string;
  variable: string;
  /** Printed once per run, whichever suites give it. */
  warning: string;
}

const ROOT = join(__dirname, '..', '..');
const printed = new Set<string>();

/**
 * Records that part of the running suite is skipped. The skip reporter prints each warning once
 * and closes the run with one line naming every skipped suite and its variable. Without the
 * reporter (another jest config), the warning goes straight to stderr, once per worker.
 */
export function recordSkip(part: string, variable: string, warning: string): void {
  const state = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect;
  const testPath = state?.getState().testPath;
  const suite = testPath ? relative(ROOT, testPath) : 'a suite outside jest';
  const entry: SkippedSuite = { suite, part, variable, warning };
  const log = process.env[SKIP_LOG_VARIABLE];
  if (log) {
    appendFileSync(log, `${JSON.stringify(entry)}\n`);
  } else if (!printed.has(warning)) {
    printed.add(warning);
    process.stderr.write(`${warning}\n`);
  }
}
