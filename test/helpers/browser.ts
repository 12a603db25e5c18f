/**
 * The real browser of the UI tests: Debian's Chromium, headless, driven by playwright-core.
 * Without it the browser suites skip, unless MODELYARD_REQUIRE_BROWSER=1 (CI), where they fail.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const browserMissing = !existsSync(CHROMIUM);
export const requireBrowser = process.env.MODELYARD_REQUIRE_BROWSER === '1';

/** A browser suite's `skip`: the reason when Chromium is missing and not required, else false. */
export const browserSkip: string | false =
  browserMissing && !requireBrowser && `${CHROMIUM} is missing (apt-get install chromium)`;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
