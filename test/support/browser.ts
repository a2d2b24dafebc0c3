import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { recordSkip } from './skipped-suites';

/** Debian's chromium, or the one named by PLACETOPAY_TEST_BROWSER. */
export const BROWSER_PATH = process.env.PLACETOPAY_TEST_BROWSER ?? '/usr/bin/chromium';

/**
 * Whether the browser suites can run. CI sets REQUIRE_ALL_SUITES=1: there a missing browser fails
 * the run instead of skipping the suite.
 */
export function browserAvailable(): boolean {
  if (existsSync(BROWSER_PATH)) return true;
  if (process.env.REQUIRE_ALL_SUITES === '1') {
    throw new Error(
      `REQUIRE_ALL_SUITES=1 but no browser at ${BROWSER_PATH}: apt-get install -y chromium`,
    );
  }
  recordSkip(
    'Chromium',
    'PLACETOPAY_TEST_BROWSER',
    `Browser suites skipped: no browser at ${BROWSER_PATH} (apt-get install -y chromium, or set PLACETOPAY_TEST_BROWSER)`,
  );
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: BROWSER_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
