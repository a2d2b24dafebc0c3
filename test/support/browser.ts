import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

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
  console.warn(
    `Browser suites skipped: no browser at ${BROWSER_PATH} (apt-get install -y chromium)`,
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
