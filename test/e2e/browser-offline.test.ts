/**
 * The web UI when the daemon goes away, in headless Chromium (Debian's chromium, driven by
 * playwright-core): the page says so plainly and turns its controls off, then comes back by
 * itself when the daemon is started again on the same address. Also the small things users
 * noticed: the stats bar shows rates as numbers, and a hybrid torrent shows both info hashes.
 * Screenshots go to test-artifacts/browser/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeTempDir, removeDir, shoalCreate, shoalInfo, writeTree, type ShoalInfo } from '../interop/helpers.js';
import { ARTIFACTS, chromiumMissing as skip, launchChromium, openUi, prepareUiTest } from './browser-env.js';
import { startShoalDaemon, type ShoalDaemon } from './daemon-process.js';


/** A loopback port nobody listens on right now (the daemon is restarted on it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('web UI while the daemon is away', { skip }, () => {
  let tmp: string, stateDir: string, seedDir: string, apiAddress: string;
  let info: ShoalInfo;
  let daemon: ShoalDaemon | undefined;
  let browser: Browser;
  let page: Page;

  const start = async () => startShoalDaemon({ stateDir, downloadDir: join(tmp, 'downloads'), api: apiAddress });
  async function screenshot(name: string): Promise<void> {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path });
    console.log(`screenshot: ${path}`);
  }

  before(async () => {
    prepareUiTest();
    tmp = makeTempDir('shoal-browser-offline-');
    stateDir = join(tmp, 'state');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, 'hybrid-album'), [{ path: 'a.bin', length: 70_000 }, { path: 'b.txt', length: 1_234 }]);
    const torrentFile = join(tmp, 'hybrid-album.torrent');
    await shoalCreate(join(seedDir, 'hybrid-album'), torrentFile, ['--no-date']);
    info = await shoalInfo(torrentFile);
    apiAddress = `127.0.0.1:${await freePort()}`;
    daemon = await start();
    await daemon.api('POST', '/api/torrents', { torrent: readFileSync(torrentFile).toString('base64'), savePath: seedDir });
    browser = await launchChromium();
    page = await openUi(browser, daemon, { width: 1280, height: 800 });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    if (tmp) removeDir(tmp);
  });

  it('shows rates in the stats bar as numbers, speed graphs, and both info hashes of a hybrid torrent', async () => {
    const down = page.locator('.stats .down dd');
    await down.waitFor();
    assert.match(await down.innerText(), /^\d[\d.]* (B|KiB|MiB|GiB)\/s$/);
    assert.match(await page.locator('.stats .up dd').innerText(), /^\d[\d.]* (B|KiB|MiB|GiB)\/s$/);
    const v1 = info.infoHash, v2 = info.infoHashV2;
    assert.ok(v1 !== null && v2 !== null, 'the test torrent is hybrid');
    await page.evaluate(`location.hash = '#/t/${v1}'`);
    await page.getByText(v2, { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByText(v1, { exact: true }).waitFor();
    // Speed graphs: the stats bar's and the torrent's, each labelled with the current rates.
    const graphs = page.locator('svg.speed-graph[role="img"]');
    await graphs.nth(1).waitFor();
    assert.match((await graphs.nth(0).getAttribute('aria-label')) ?? '', /^Speed over the last 5 minutes: down \d.* up \d/);
    await page.waitForFunction('document.querySelectorAll("svg.speed-graph")[1].querySelectorAll("polyline").length === 2', undefined, { timeout: 10_000 });
    await screenshot('hybrid-info-hashes');
  });

  it('says plainly that the daemon is gone and turns its controls off, then recovers when it is back', async () => {
    const pause = page.getByRole('button', { name: 'Pause' });
    await pause.waitFor({ timeout: 15_000 });
    assert.equal(await pause.isEnabled(), true);
    // kill -9: no goodbye on the event stream, as when the machine or the process dies.
    await daemon!.process.stop('SIGKILL', 5_000);
    daemon = undefined;
    const banner = page.locator('.offline[role="alert"]');
    await banner.waitFor({ timeout: 20_000 });
    assert.match(await banner.innerText(), /daemon is not answering/);
    assert.equal(await pause.isDisabled(), true, 'the Pause button is off while the daemon is away');
    assert.equal(await page.getByRole('button', { name: 'Settings' }).isDisabled(), true);
    await screenshot('daemon-away');

    daemon = await start();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('.live-live').waitFor({ timeout: 15_000 });
    assert.equal(await pause.isEnabled(), true, 'controls come back with the daemon');
    await screenshot('daemon-back');
  });
});
