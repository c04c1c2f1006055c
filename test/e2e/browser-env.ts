/**
 * What the web UI tests share: Debian's chromium driven by playwright-core, where
 * screenshots go, and a page logged in to a daemon with its live stream up. Not a test file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../interop/helpers.js';
import type { ShoalDaemon } from './daemon-process.js';

export const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'browser');
/** Why the browser tests cannot run here, or false. */
export const chromiumMissing: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (Debian package chromium; scripts/install-test-deps.sh installs it)`;

/** The built UI is there and the screenshot folder exists. */
/** How long a UI step may wait for the daemon (Playwright's default is 30 s). */
export const UI_WAIT_MS = 90_000;

export function prepareUiTest(): void {
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html')), 'dist/web/index.html is missing: `npm run build` builds the web UI');
  mkdirSync(ARTIFACTS, { recursive: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A page at the daemon's `#token=` address, once its event stream is live; page errors are logged. */
export async function openUi(browser: Browser, daemon: ShoalDaemon, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  // Playwright's 30 s default ran out on a loaded machine (CI beside benchmarks, load 10-21):
  // the UI waits for the daemon, which shares the CPU. The test runner's own limit still applies.
  page.setDefaultTimeout(UI_WAIT_MS);
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(daemon.uiUrl);
  await page.locator('.live-live').waitFor({ timeout: UI_WAIT_MS });
  return page;
}
