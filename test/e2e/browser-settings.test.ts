/**
 * The settings dialog in headless Chromium (Debian's chromium, driven by playwright-core):
 * the alternative rate limits and their schedule are set through the form, reach the daemon
 * (GET /api/settings) and its config file, and the stats bar says when they are in force;
 * the choker setting (tit-for-tat or the strategic one, with its upload capacity) likewise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Settings } from '../../src/daemon/types.js';
import { makeTempDir, removeDir } from '../interop/helpers.js';
import { ARTIFACTS, chromiumMissing as skip, launchChromium, openUi, prepareUiTest } from './browser-env.js';
import { startShoalDaemon, type ShoalDaemon } from './daemon-process.js';


describe('web UI settings dialog', { skip }, () => {
  let tmp: string, stateDir: string;
  let daemon: ShoalDaemon;
  let browser: Browser;
  let page: Page;

  before(async () => {
    prepareUiTest();
    tmp = makeTempDir('shoal-browser-settings-');
    stateDir = join(tmp, 'state');
    daemon = await startShoalDaemon({ stateDir, downloadDir: join(tmp, 'downloads') });
    browser = await launchChromium();
    page = await openUi(browser, daemon);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    if (tmp) removeDir(tmp);
  });

  it('sets the alternative limits and a schedule, saved to the daemon and its config file; turtle mode shows in the stats bar', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('Alternative download limit (KiB/s, 0 = none)').fill('256');
    await dialog.getByLabel('Alternative upload limit (KiB/s, 0 = none)').fill('32');
    await dialog.getByLabel('Use the alternative limits on a schedule').check();
    await dialog.getByLabel('From', { exact: true }).fill('18:30');
    await dialog.getByLabel('To', { exact: true }).fill('07:00');
    for (const day of ['Sun', 'Sat']) await dialog.getByLabel(day, { exact: true }).uncheck();
    await page.screenshot({ path: join(ARTIFACTS, 'settings-alt-limits.png') });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });

    const s = await daemon.api<Settings>('GET', '/api/settings');
    assert.deepEqual([s.altDownloadRateLimit, s.altUploadRateLimit, s.altEnabled], [256 * 1024, 32 * 1024, false]);
    assert.deepEqual(s.altSchedule, { from: '18:30', to: '07:00', days: [1, 2, 3, 4, 5] });
    assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')).altSchedule, s.altSchedule);

    await page.getByRole('button', { name: 'Settings' }).click();
    await dialog.getByLabel('Use the alternative limits now').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal((await daemon.api<Settings>('GET', '/api/settings')).altEnabled, true);
    await page.locator('.stats dt', { hasText: 'Limits' }).waitFor({ timeout: 10_000 });
  });

  it('sets the strategic choker and its upload capacity, saved to the daemon and its config file', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('Choker').selectOption('tyrant');
    await dialog.getByLabel('Upload capacity (KiB/s; 0 = the upload limit, or learnt)').fill('120');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    const s = await daemon.api<Settings>('GET', '/api/settings');
    assert.deepEqual([s.choker, s.tyrantUploadCapacity], ['tyrant', 120 * 1024]);
    const file = JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')) as Partial<Settings>;
    assert.deepEqual([file.choker, file.tyrantUploadCapacity], ['tyrant', 120 * 1024]);
  });
});
