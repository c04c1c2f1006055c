/**
 * The everyday-client features of the web UI in headless Chromium against `shoal daemon`
 * (issue 16): create a torrent from a folder and seed it, add one by the URL of its .torrent
 * (a local HTTP server counts the fetch), categories (settings, the add form's choice, the
 * list filter), multi-select with a bulk pause and resume, a torrent's properties (category,
 * seeding limit), moving its data, the tracker editor, adding a peer by hand, recheck, global
 * seeding limits and network switches, and playing a file through a short-lived URL that
 * carries no token. Each step is checked through the API; screenshots go to
 * test-artifacts/browser/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeTempDir, removeDir, shoalCreate, shoalInfo, writeTree } from '../interop/helpers.js';
import { ARTIFACTS, chromiumMissing as skip, launchChromium, openUi, prepareUiTest } from './browser-env.js';
import { startShoalDaemon, type ShoalDaemon } from './daemon-process.js';

const KiB = 1024;

interface Summary { infoHash: string; name: string; state: string; category?: string | null; savePath: string }
interface Page_ { total: number; torrents: Summary[] }
interface Details extends Summary { seedRatioLimit?: number | null; peerList: { address: string }[] }

describe('web UI: everyday-client features', { skip }, () => {
  let tmp: string;
  let daemon: ShoalDaemon;
  let browser: Browser;
  let page: Page;
  let http: Server;
  let httpUrl: string;
  const fetched: string[] = [];
  let createdHash: string, urlHash: string;

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }
  const row = (ih: string) => page.locator(`.trow[data-infohash="${ih}"]`);
  const list = (q = '') => daemon.api<Page_>('GET', `/api/torrents${q}`);
  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
    const deadline = performance.now() + ms;
    for (;;) {
      const v = await probe().catch(() => undefined);
      if (v !== undefined) return v;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async () => {
    prepareUiTest();
    tmp = makeTempDir('shoal-browser-everyday-');
    writeTree(join(tmp, 'made', 'holiday'), [{ path: 'clip.mp4', length: 300 * KiB + 5 }, { path: 'readme.txt', length: 999 }]);
    writeTree(join(tmp, 'other', 'fetched'), [{ path: 'f.bin', length: 70 * KiB }]);
    const byUrl = join(tmp, 'fetched.torrent');
    await shoalCreate(join(tmp, 'other', 'fetched'), byUrl, ['--no-date']);
    urlHash = (await shoalInfo(byUrl)).infoHash!;
    http = createServer((req, res) => {
      fetched.push(req.url ?? '');
      if (req.url === '/files/fetched.torrent') {
        res.writeHead(200, { 'Content-Type': 'application/x-bittorrent' });
        res.end(readFileSync(byUrl));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/files/fetched.torrent`;
    daemon = await startShoalDaemon({ stateDir: join(tmp, 'state'), downloadDir: join(tmp, 'downloads'), listen: '127.0.0.4:0' });
    browser = await launchChromium();
    page = await openUi(browser, daemon);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    if (tmp) removeDir(tmp);
  });

  it('creates a torrent from a folder on the daemon machine and seeds it', async () => {
    await page.getByRole('button', { name: 'Create torrent' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create torrent' });
    await dialog.getByLabel('File or folder').fill(join(tmp, 'made', 'holiday'));
    await dialog.getByRole('textbox', { name: /^Trackers/ }).fill('http://127.0.0.1:1/announce');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const done = dialog.getByRole('status');
    await done.waitFor({ timeout: 30_000 });
    createdHash = /[0-9a-f]{40}/.exec(await done.innerText())![0];
    assert.ok(await dialog.getByRole('link', { name: 'Save the .torrent file' }).isVisible());
    await shot('everyday-create');
    await dialog.getByRole('button', { name: 'Close' }).click();
    const seeding = await until('the created torrent seeding', async () => {
      const d = await daemon.api<Details>('GET', `/api/torrents/${createdHash}`);
      return d.state === 'seeding' ? d : undefined;
    }, 30_000);
    assert.equal(seeding.name, 'holiday');
  });

  it('adds a torrent by the URL of its .torrent file', async () => {
    await page.locator('input[name="magnet"]').fill(httpUrl);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await row(urlHash).waitFor({ timeout: 20_000 });
    assert.deepEqual(fetched, ['/files/fetched.torrent']);
  });

  it('makes a category in settings, files a torrent under it and filters the list by it', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('New category name').fill('Films');
    await dialog.getByLabel('New category save path').fill(join(tmp, 'films'));
    await dialog.getByRole('button', { name: 'Add category' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved category Films' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await daemon.api('GET', '/api/categories'), [{ name: 'Films', savePath: join(tmp, 'films') }]);

    await page.reload();
    await row(createdHash).getByRole('link').click();
    const view = page.getByRole('article');
    await view.getByText('Properties: name, category, seeding limits, location').click();
    await view.getByRole('combobox', { name: 'Torrent category' }).selectOption('Films');
    await view.getByRole('combobox', { name: 'Seed ratio limit mode' }).selectOption('value');
    await view.getByLabel('Seed ratio limit (ratio)').fill('3');
    await view.getByRole('button', { name: 'Save properties' }).click();
    await view.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const d = await daemon.api<Details>('GET', `/api/torrents/${createdHash}`);
    assert.equal(d.category, 'Films');
    assert.equal(d.seedRatioLimit, 3);
    await shot('everyday-properties');

    await page.getByRole('link', { name: '← All torrents' }).click();
    await page.getByRole('combobox', { name: 'Filter by category' }).selectOption('Films');
    await row(urlHash).waitFor({ state: 'detached' });
    assert.equal(await row(createdHash).count(), 1);
    assert.ok((await row(createdHash).innerText()).includes('Films'));
    await page.getByRole('combobox', { name: 'Filter by category' }).selectOption({ label: 'All categories' });
    await row(urlHash).waitFor();
  });

  it('selects several torrents and pauses, then resumes them together', async () => {
    await page.getByLabel('Select all torrents on this page').check();
    const bar = page.getByRole('toolbar', { name: 'Selected torrents' });
    assert.ok((await bar.innerText()).includes('2 torrents selected'));
    await shot('everyday-bulk');
    await bar.getByRole('button', { name: 'Pause selected' }).click();
    await until('both paused', async () => ((await list('?state=paused')).total === 2 ? true : undefined));
    await bar.waitFor({ state: 'hidden' }); // done: the selection is cleared
    await page.getByLabel(`Select holiday`).check();
    await page.getByLabel('Select fetched').check();
    await bar.getByRole('button', { name: 'Resume selected' }).click();
    await until('both running again', async () => ((await list('?state=paused')).total === 0 ? true : undefined)).catch(async (e: unknown) => {
      const notices = await page.locator('.notices').innerText();
      throw new Error(`${(e as Error).message}: ${JSON.stringify((await list()).torrents.map((x) => [x.name, x.state]))}; notices: ${notices}`);
    });
  });

  it('edits trackers, adds a peer by hand and rechecks from the torrent view', async () => {
    await row(urlHash).getByRole('link').click();
    const view = page.getByRole('article');
    await view.getByRole('tab', { name: /^Trackers/ }).click();
    await view.getByText('Edit trackers').click();
    await view.getByLabel('Tracker list').fill('udp://127.0.0.1:2/announce\n\nhttp://127.0.0.1:3/announce\nhttp://127.0.0.1:4/announce');
    await view.getByRole('button', { name: 'Save trackers' }).click();
    await view.getByRole('status').filter({ hasText: 'Trackers saved' }).waitFor();
    assert.deepEqual(await daemon.api('GET', `/api/torrents/${urlHash}/trackers`),
      [['udp://127.0.0.1:2/announce'], ['http://127.0.0.1:3/announce', 'http://127.0.0.1:4/announce']]);

    await view.getByRole('tab', { name: /^Peers/ }).click();
    await view.getByLabel('Peer address').fill('not an address');
    await view.getByRole('button', { name: 'Add peer' }).click();
    await view.getByRole('alert').filter({ hasText: 'host:port' }).waitFor();
    await view.getByLabel('Peer address').fill('127.0.0.9:6881');
    await view.getByRole('button', { name: 'Add peer' }).click();
    await view.getByRole('status').filter({ hasText: 'Connecting to 127.0.0.9:6881' }).waitFor();

    await view.getByRole('button', { name: 'Recheck' }).click();
    await page.getByRole('status').filter({ hasText: 'Recheck started' }).waitFor();
    await shot('everyday-trackers-peers');
    await page.getByRole('link', { name: '← All torrents' }).click();
  });

  it('plays a file through a short-lived URL that carries no token', async () => {
    await row(createdHash).getByRole('link').click();
    const view = page.getByRole('article');
    await view.getByRole('button', { name: 'Play holiday/clip.mp4' }).click();
    const video = view.locator('video');
    await video.waitFor();
    const src = await video.getAttribute('src');
    assert.ok(src?.startsWith('/api/stream/'), `video src ${src}`);
    assert.ok(!src!.includes(daemon.token), 'the token must not be in the stream URL');
    const res = await fetch(daemon.origin + src!, { headers: { Range: 'bytes=0-9' } });
    assert.equal(res.status, 206);
    const want = readFileSync(join(tmp, 'made', 'holiday', 'clip.mp4')).subarray(0, 10);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(want));
    await view.getByRole('button', { name: 'Close player' }).click();
  });

  it('moves the data to a new location while it runs', async () => {
    const view = page.getByRole('article');
    await view.getByText('Properties: name, category, seeding limits, location').click();
    const to = join(tmp, 'moved');
    await view.getByLabel('New save path').fill(to);
    await view.getByRole('button', { name: 'Move data' }).click();
    await until('the data at its new place', async () => {
      const d = await daemon.api<Details>('GET', `/api/torrents/${createdHash}`);
      return d.savePath === to && existsSync(join(to, 'holiday', 'clip.mp4')) && d.state === 'seeding' ? true : undefined;
    }, 30_000);
    assert.ok(!existsSync(join(tmp, 'made', 'holiday', 'clip.mp4')), 'the old copy is gone');
    await page.getByRole('link', { name: '← All torrents' }).click();
  });

  it('sets global seeding limits and the network switches in settings', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByLabel('Stop at share ratio').fill('2.5');
    await dialog.getByLabel('When a limit is reached').selectOption('remove');
    await dialog.getByLabel('Local peer discovery').uncheck();
    await shot('everyday-settings');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    const s = await daemon.api<Record<string, unknown>>('GET', '/api/settings');
    assert.equal(s.seedRatioLimit, 2.5);
    assert.equal(s.seedLimitAction, 'remove');
    assert.equal(s.lsd, false);
  });

  it('fits a phone screen with the new controls', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel('Select holiday').check(); // the header row (and its select-all box) is hidden on phones
    await page.getByRole('toolbar', { name: 'Selected torrents' }).waitFor();
    await shot('everyday-phone');
    const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    assert.ok(scroll <= client, `the page is ${scroll} px wide in a ${client} px window`);
  });
});
