/**
 * The daemon's API with 10,000 torrents: the list page and a bulk pause of 1,000 selected
 * torrents, through HTTP on loopback, in process. The torrents are small generated .torrent
 * files written straight into a state directory (no data: 9,000 are paused, the 1,000 to be
 * paused are queued for download slots, three of them running with nobody to connect to).
 *
 *   npm run build && node dist/bench/daemon-10k.js [torrents=10000] [selected=1000]
 *
 * Targets (issue 16): `GET /api/torrents` under 200 ms, the bulk pause under 2 s. Prints the
 * median and worst of several list requests (default page, sorted by name, searched,
 * filtered by category) and the bulk pause's time and journal commits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../src/bencode/index.js';
import { startApiServer } from '../src/daemon/http/server.js';
import { DaemonService } from '../src/daemon/service/service.js';
import { StateStore } from '../src/daemon/service/state-store.js';
import { createNodeRuntime } from '../src/runtime/node/index.js';

const N = Number(process.argv[2] ?? 10_000);
const SELECTED = Number(process.argv[3] ?? 1000);
const TOKEN = 'bench-token';
const LIST_TARGET_MS = 200;
const BULK_TARGET_MS = 2000;

/** A single-file v1 .torrent of one piece (the hash is made up: it is never checked here). */
function tinyTorrent(i: number): Uint8Array {
  const pieces = Buffer.alloc(20);
  pieces.writeUInt32BE(i);
  const info = new Map<string, Parameters<typeof encode>[0]>([['length', 1000 + i], ['name', `file-${String(i).padStart(5, '0')}.bin`], ['piece length', 16384], ['pieces', pieces]]);
  return encode(new Map([['info', info]]));
}

async function generate(stateDir: string, data: string): Promise<string[]> {
  const store = StateStore.open(stateDir);
  const { parseTorrent } = await import('../src/metainfo/torrent.js');
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const bytes = tinyTorrent(i);
    const t = parseTorrent(bytes);
    const id = Buffer.from(t.infoHashV1!).toString('hex');
    await store.writeMeta(id, bytes);
    store.records.set(id, {
      id, name: t.name, savePath: data, addedAt: 1_700_000_000_000 + i, paused: i >= SELECTED, hasMetadata: true,
      size: t.length, bytesHave: 0, complete: false, downloaded: 0, uploaded: 0, ...(i % 7 === 0 ? { category: 'seven' } : {}),
    });
    ids.push(id);
  }
  await store.close();
  return ids;
}

function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; ms: number }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${TOKEN}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'shoal-bench-10k-'));
  const runtime = createNodeRuntime();
  try {
    const g0 = performance.now();
    const ids = await generate(join(root, 'state'), join(root, 'data'));
    console.log(`generated ${N} torrents in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    const service = await DaemonService.create({ runtime, stateDir: join(root, 'state'), downloadDir: join(root, 'data'), listen: { host: '127.0.0.1', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now() });
    await service.updateSettings({ dht: false, portMapping: false });
    await service.setCategory('seven', join(root, 'data'));
    void service.startAll();
    const server = await startApiServer({ service, host: '127.0.0.1', port: 0, token: TOKEN });
    const port = server.address.port;

    const lists: [string, string][] = [
      ['default page (100)', '/api/torrents'],
      ['sorted by name, desc', '/api/torrents?sort=name&order=desc'],
      ['search', '/api/torrents?search=file-04'],
      ['category filter', '/api/torrents?category=seven&limit=1000'],
      ['last page', `/api/torrents?offset=${N - 100}`],
    ];
    // The first request after start-up (JIT, fastify's route compilation, every summary computed).
    const first = await call(port, 'GET', '/api/torrents');
    console.log(`GET first request after start: ${first.ms.toFixed(1)} ms`);
    let worstList = 0;
    for (const [label, path] of lists) {
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        // Every other request after the summaries' cache (900 ms) ran out: the cost of recomputing 10,000.
        if (i % 2 === 1) await new Promise((r) => setTimeout(r, 950));
        const r = await call(port, 'GET', path);
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 200)}`);
        times.push(r.ms);
      }
      times.sort((a, b) => a - b);
      worstList = Math.max(worstList, times[times.length - 1]);
      console.log(`GET ${label}: median ${times[3].toFixed(1)} ms, worst ${times[times.length - 1].toFixed(1)} ms (total ${(JSON.parse((await call(port, 'GET', path)).text) as { total: number }).total})`);
    }

    const commits = service.journalCommits;
    const bulk = await call(port, 'POST', '/api/torrents/bulk', { action: 'pause', infoHashes: ids.slice(0, SELECTED) });
    if (bulk.status !== 200) throw new Error(`bulk: ${bulk.status} ${bulk.text.slice(0, 200)}`);
    const results = Object.values((JSON.parse(bulk.text) as { results: Record<string, string> }).results);
    const ok = results.filter((r) => r === 'ok').length;
    console.log(`POST bulk pause of ${SELECTED}: ${bulk.ms.toFixed(0)} ms, ${ok} ok, ${service.journalCommits - commits} journal commits`);
    const paused = JSON.parse((await call(port, 'GET', '/api/torrents?state=paused&limit=1')).text) as { total: number };
    console.log(`paused now: ${paused.total} of ${N}`);
    console.log(`targets: list < ${LIST_TARGET_MS} ms: ${worstList < LIST_TARGET_MS ? 'met' : 'MISSED'} (worst ${worstList.toFixed(1)} ms); bulk pause < ${BULK_TARGET_MS} ms: ${bulk.ms < BULK_TARGET_MS ? 'met' : 'MISSED'} (${bulk.ms.toFixed(0)} ms)`);
    await server.close();
    await service.close();
  } finally {
    runtime.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
