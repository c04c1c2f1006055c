/**
 * The web UI end to end in headless Chromium (Debian's chromium, driven by playwright-core):
 * `shoal daemon` on loopback serves the built UI (dist/web); the browser logs in from the
 * `#token=` address, adds a magnet link whose only peer is a libtorrent seeder (x.pe), watches
 * the row reach 100%, opens the torrent's view, and pauses, resumes and removes it; a torrent
 * that cannot write its files shows its error in the list. Screenshots
 * at desktop and phone width go to test-artifacts/browser/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, libtorrentAvailable, makeTempDir, removeDir, shoalCreate, shoalInfo, writeTree, type FileSpec, type ShoalInfo } from '../interop/helpers.js';
import { startLibtorrentSeeder, type LtSeeder } from '../interop/peers/index.js';
import { startShoalDaemon, type ShoalDaemon } from './daemon-process.js';

const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'browser');
const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'ui-album';
const FILES: readonly FileSpec[] = [
  { path: 'a.bin', length: 3 * MiB + 777 },
  { path: 'b/c.bin', length: 600 * KiB },
  { path: 'notes.txt', length: 20_001 },
];
const DOWNLOAD_TIMEOUT_MS = 90_000;

const lt = libtorrentAvailable();
const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (Debian package chromium; scripts/install-test-deps.sh installs it)`
  : !lt.ok ? lt.reason : false;

const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');

describe('web UI in headless Chromium against shoal daemon', { skip }, () => {
  let tmp: string, seedDir: string, downloadDir: string, torrentFile: string, droppedFile: string;
  let info: ShoalInfo;
  let seeder: LtSeeder;
  let daemon: ShoalDaemon;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const screenshots: string[] = [];

  const row = () => page.locator(`.trow[data-infohash="${info.infoHash}"]`);
  async function screenshot(name: string, fullPage = false): Promise<void> {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage });
    screenshots.push(path);
    console.log(`screenshot: ${path}`);
  }
  /** The page is no wider than the window: nothing sticks out sideways at phone width. */
  async function assertNoSidewaysScroll(): Promise<void> {
    // A string: the root tsconfig has no DOM types (this runs in the page).
    const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    assert.ok(scroll <= client, `the page is ${scroll} px wide in a ${client} px window`);
  }

  // The suite's own after() stops the daemon and the seeder (they also die with this process).
  before(async () => {
    assert.ok(existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html')), 'dist/web/index.html is missing: `npm run build` builds the web UI');
    mkdirSync(ARTIFACTS, { recursive: true });
    tmp = makeTempDir('shoal-browser-');
    seedDir = join(tmp, 'seed');
    downloadDir = join(tmp, 'downloads');
    writeTree(join(seedDir, NAME), FILES);
    const torrent = torrentFile = join(tmp, `${NAME}.torrent`);
    await shoalCreate(join(seedDir, NAME), torrent, ['--piece-length', '16k', '--no-date']);
    // A second torrent, only ever dropped on the page (nobody seeds it).
    writeTree(join(tmp, 'other', 'dropped'), [{ path: 'd.bin', length: 50_000 }]);
    droppedFile = join(tmp, 'dropped.torrent');
    await shoalCreate(join(tmp, 'other', 'dropped'), droppedFile, ['--no-date']);
    info = await shoalInfo(torrent);
    seeder = await startLibtorrentSeeder({ torrent, dataDir: seedDir, host: '127.0.0.2', encryption: 'plaintext' });
    daemon = await startShoalDaemon({ stateDir: join(tmp, 'state'), downloadDir, listen: '127.0.0.3:0' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await seeder?.stop();
    if (tmp) removeDir(tmp);
    if (screenshots.length > 0) console.log(`screenshots saved:\n  ${screenshots.join('\n  ')}`);
  });

  it('asks for a token when it has none, refuses a wrong one, and logs in from the #token= address', async () => {
    const fresh = await browser.newContext();
    try {
      const p = await fresh.newPage();
      await p.goto(`${daemon.origin}/`);
      await p.locator('input[name="token"]').fill('not-the-token');
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByRole('alert').filter({ hasText: 'The daemon refused that token.' }).waitFor();

      await p.goto(daemon.uiUrl);
      await p.getByRole('table', { name: 'Torrent list' }).waitFor();
      assert.equal(p.url(), `${daemon.origin}/`, 'the token is removed from the address bar');
      assert.equal(await p.evaluate<string | null>('localStorage.getItem("shoal.apiToken")'), daemon.token);
      await p.reload();
      await p.getByRole('table', { name: 'Torrent list' }).waitFor();
      assert.equal(await p.locator('input[name="token"]').count(), 0, 'a reload stays logged in');
    } finally {
      await fresh.close();
    }
  });

  it('adds a magnet link through the form and shows the download reaching 100%', async () => {
    await page.goto(daemon.uiUrl);
    await page.getByRole('table', { name: 'Torrent list' }).waitFor();
    const stats = page.locator('[aria-label="Session statistics"]');
    await stats.filter({ hasText: 'DHToff' }).waitFor(); // --no-dht, as the daemon reports it

    // The API's own message is shown for a bad request.
    const magnetInput = page.locator('input[name="magnet"]');
    await magnetInput.fill('magnet:?xt=urn:btih:nothex');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Adding the magnet link:' });
    await alert.waitFor();
    console.log(`error shown for a bad magnet: ${await alert.locator('span').innerText()}`);

    const magnet = `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    await magnetInput.fill(magnet);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await row().waitFor();
    await row().locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: DOWNLOAD_TIMEOUT_MS }).catch(async (e: unknown) => {
      const t = await daemon.api<Record<string, unknown>>('GET', `/api/torrents/${info.infoHash}`).catch((err: unknown) => String(err));
      const { state, progress, peers, error, peerList } = typeof t === 'string' ? { state: t } as Record<string, unknown> : t;
      throw new Error(`${(e as Error).message}\nthe daemon says: ${JSON.stringify({ state, progress, peers, error, peerList })}${daemon.process.tail()}`);
    });
    await row().locator('.badge', { hasText: 'Seeding' }).waitFor({ timeout: 30_000 });
    assert.equal(await row().locator('.c-name').innerText(), NAME);
    for (const f of FILES) assert.equal(sha1(join(downloadDir, NAME, f.path)), sha1(join(seedDir, NAME, f.path)), `${f.path} differs`);
    await screenshot('list-desktop');
  });

  it('shows the torrent view: piece map, files with priorities, peers and trackers, at desktop and phone width', async () => {
    await row().locator('.c-name a').click();
    const view = page.locator('article.torrent');
    await view.waitFor();
    assert.match(page.url(), new RegExp(`#/t/${info.infoHash}$`));
    await view.locator('.piecemap figcaption', { hasText: `${info.pieceCount} of ${info.pieceCount} pieces` }).waitFor();
    const canvas = await view.locator('.piecemap canvas').boundingBox();
    assert.ok(canvas && canvas.width > 100 && canvas.height > 0, 'the piece map is drawn');

    const files = view.locator('table.files tbody tr');
    await files.first().waitFor();
    assert.equal(await files.count(), FILES.length);
    assert.equal(await view.locator('table.files [role="progressbar"][aria-valuenow="100"]').count(), FILES.length);
    // Skipping a file goes to the daemon and comes back in its details.
    const notes = view.getByRole('combobox', { name: `Priority of ${NAME}/notes.txt` });
    await notes.selectOption('0');
    await view.locator('tr.skipped', { hasText: 'notes.txt' }).waitFor();
    const details = await daemon.api<{ files: { path: string; priority: number }[] }>('GET', `/api/torrents/${info.infoHash}`);
    assert.equal(details.files.find((f) => f.path.endsWith('notes.txt'))?.priority, 0);
    await notes.selectOption('1');
    // The torrent's own upload limit goes to the daemon and comes back in its details.
    await view.getByText('Rate limits').click();
    await view.getByLabel('Upload (KiB/s, 0 = none)').fill('512');
    await view.getByRole('button', { name: 'Save limits' }).click();
    await view.getByRole('status').filter({ hasText: 'Limits saved' }).waitFor();
    const limited = await daemon.api<{ limits: { uploadRateLimit: number; downloadRateLimit: number } }>('GET', `/api/torrents/${info.infoHash}`);
    assert.deepEqual(limited.limits, { downloadRateLimit: 0, uploadRateLimit: 512 * 1024 });
    await screenshot('torrent-desktop', true);

    await view.getByRole('tab', { name: /^Peers/ }).click();
    await view.locator('table.peers, p.empty', { hasText: /Address|No peers connected/ }).first().waitFor();
    await view.getByRole('tab', { name: /^Trackers/ }).click();
    await view.getByText('No trackers').waitFor(); // the magnet has none: its peer came from x.pe

    await page.setViewportSize({ width: 390, height: 844 });
    await view.getByRole('tab', { name: /^Files/ }).click();
    await assertNoSidewaysScroll();
    await screenshot('torrent-390', true);
    await page.getByRole('link', { name: '← All torrents' }).click();
    await row().waitFor();
    await assertNoSidewaysScroll();
    await screenshot('list-390');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('pauses, resumes, and removes the torrent with its data after asking', async () => {
    await row().getByRole('button', { name: 'Pause' }).click();
    await row().locator('.badge', { hasText: 'Paused' }).waitFor({ timeout: 15_000 });
    await row().getByRole('button', { name: 'Resume' }).click();
    await row().locator('.badge', { hasText: 'Seeding' }).waitFor({ timeout: 30_000 });

    await row().getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove torrent' });
    await dialog.getByLabel('Also delete the downloaded data').check();
    await dialog.getByRole('button', { name: 'Remove and delete data' }).click();
    await row().waitFor({ state: 'detached', timeout: 15_000 });
    await page.getByText('No torrents yet').waitFor();
    const page1 = await daemon.api<{ total: number }>('GET', '/api/torrents');
    assert.equal(page1.total, 0);
    assert.ok(!existsSync(join(downloadDir, NAME, 'a.bin')), 'the data was deleted');
  });

  it('adds .torrent files from the file picker (paused) and dropped on the page', async () => {
    await page.locator('details.add-options summary').click();
    await page.getByLabel('Add paused').check();
    await page.locator('input[type="file"]').setInputFiles(torrentFile);
    await row().locator('.badge', { hasText: 'Paused' }).waitFor({ timeout: 15_000 });
    assert.equal(await row().locator('.c-name').innerText(), NAME);

    // A drop event carrying the file, as the browser sends it when a file is dragged in.
    const dropped = await shoalInfo(droppedFile);
    const base64 = readFileSync(droppedFile).toString('base64');
    const dataTransfer = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.torrent', { type: 'application/x-bittorrent' }));
      return dt;
    })()`);
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    const droppedRow = page.locator(`.trow[data-infohash="${dropped.infoHash}"]`);
    await droppedRow.waitFor({ timeout: 15_000 });
    assert.equal(await droppedRow.locator('.c-name').innerText(), 'dropped');
    const list = await daemon.api<{ total: number; torrents: { infoHash: string; state: string }[] }>('GET', '/api/torrents');
    assert.equal(list.total, 2);
    assert.equal(list.torrents.find((t) => t.infoHash === info.infoHash)?.state, 'paused');
  });

  it('shows a torrent that cannot write its files in the error state, with the reason under its name', async () => {
    await daemon.api('DELETE', `/api/torrents/${info.infoHash}`);
    await row().waitFor({ state: 'detached', timeout: 15_000 });
    const blocked = join(tmp, 'blocked');
    mkdirSync(join(blocked, NAME, 'a.bin'), { recursive: true }); // a directory where the torrent's first file must go
    await daemon.api('POST', '/api/torrents', { magnet: `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`, savePath: blocked });
    await row().locator('.badge', { hasText: 'Error' }).waitFor({ timeout: 30_000 });
    const shown = await row().locator('.row-error').innerText();
    assert.match(shown, /a\.bin.*EISDIR/);
    const api = await daemon.api<{ state: string; error?: string }>('GET', `/api/torrents/${info.infoHash}`);
    assert.deepEqual([api.state, api.error], ['error', shown]);
    await screenshot('list-error');
  });
});
