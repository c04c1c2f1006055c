/**
 * Trackers on loopback with real peers: a libtorrent seeder and a Shoal leecher find each
 * other through opentracker (HTTP and UDP); a libtorrent seeder and a libtorrent leecher
 * find each other through `shoal tracker` (HTTP and UDP); scrape counts; BEP 12 tier
 * fallback past a dead first tracker. The bundled lt_*.py scripts drop trackers on purpose,
 * so a small tracker-aware libtorrent script lives here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { TrackerClient } from '../../src/tracker/announcer.js';
import { CLI_PATH, PYTHON, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree, type FileSpec } from './helpers.js';

const MiB = 1024 * 1024;
const NAME = 'payload';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 2 * MiB + 777 }, { path: 'b.bin', length: 300_001 }];
const lt = libtorrentAvailable();
const ot = existsSync('/usr/bin/opentracker') ? { ok: true, reason: '' } : { ok: false, reason: 'opentracker not installed (scripts/install-test-deps.sh)' };

const LT_SCRIPT = `
import json, os, sys, time, signal
import libtorrent as lt
mode, torrent, save, host = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
trackers = sys.argv[5:]
def emit(o): print(json.dumps(o), flush=True)
ses = lt.session({'listen_interfaces': host + ':0', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
  'enable_natpmp': False, 'enable_incoming_utp': False, 'enable_outgoing_utp': False, 'allow_multiple_connections_per_ip': True,
  'announce_to_all_tiers': True, 'announce_to_all_trackers': True, 'ssrf_mitigation': False, 'allow_idna': True,
  'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification | lt.alert.category_t.tracker_notification | lt.alert.category_t.storage_notification})
stop = [False]
signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
atp = lt.add_torrent_params(); atp.ti = lt.torrent_info(torrent); atp.save_path = os.path.abspath(save)
atp.trackers = trackers
h = ses.add_torrent(atp)
start = time.monotonic(); announced = False; done = False; flushing = False
while not stop[0] and time.monotonic() - start < 90:
    ses.wait_for_alert(200)
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert):
            emit({'event': 'tracker_reply', 'message': a.message(), 'peers': a.num_peers}); announced = True
        elif isinstance(a, (lt.tracker_error_alert, lt.tracker_warning_alert)):
            emit({'event': 'tracker_error', 'message': a.message()})
        elif isinstance(a, lt.cache_flushed_alert) and flushing and not done:
            done = True; done_at = time.monotonic(); emit({'ready': True, 'complete': True, 'seconds': time.monotonic() - start})
    st = h.status()
    if mode == 'seed' and st.is_seeding and announced and not done:
        done = True; emit({'ready': True, 'port': ses.listen_port()})
    # is_seeding comes once every piece passed its hash, which libtorrent 2.0 checks from its
    # store buffer: the last blocks may not be in the file yet. flush_cache is a fence behind
    # every write of the torrent; the test compares files only after it.
    if mode == 'leech' and st.is_seeding and not flushing:
        flushing = True; h.flush_cache()
    if mode == 'leech' and done and time.monotonic() - done_at > 3: break
if not done: emit({'ready': False, 'complete': False})
h.pause(); ses.wait_for_alert(500)
os._exit(0)
`;

let tmp: string, seedDir: string, torrent: string, script: string;
const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');
const children: ChildProcess[] = [];
const whitelists: string[] = [];

before(async () => {
  tmp = makeTempDir('shoal-tracker-interop-');
  seedDir = join(tmp, 'seed');
  writeTree(join(seedDir, NAME), FILES);
  torrent = join(tmp, 'p.torrent');
  const r = await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  assert.equal(r.code, 0, r.stderr);
  script = join(tmp, 'lt_tracker.py');
  writeFileSync(script, LT_SCRIPT);
});
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  removeDir(tmp);
  for (const w of whitelists) rmSync(w, { force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Spawns and resolves with the first JSON line matching `match`. */
function spawnJson(cmd: string, args: string[], match: (j: Record<string, unknown>) => boolean, timeoutMs: number): { child: ChildProcess; line: Promise<Record<string, unknown>>; out: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
  const line = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${cmd}: ${text}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      text += l + '\n';
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        if (match(j)) {
          clearTimeout(timer);
          resolve(j);
        }
      } catch {
        // not JSON
      }
    });
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${text}`)));
  });
  line.catch(() => undefined);
  return { child, line, out: () => text };
}

function ltPeer(mode: 'seed' | 'leech', save: string, trackers: string[], host: string) {
  return spawnJson(PYTHON, ['-u', script, mode, torrent, save, host, ...trackers], (j) => 'ready' in j, 60_000);
}

async function startOpentracker(): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  // Debian's opentracker is built with a whitelist; it chroots to -d, so -w is relative to it.
  const wl = `shoal-ot-${process.pid}-${port}.txt`;
  writeFileSync(join('/tmp', wl), infoHashHex() + '\n');
  whitelists.push(join('/tmp', wl));
  const child = spawn('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', '/tmp', '-w', `/${wl}`], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/stats`).then(() => true, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, stop: () => child.kill('SIGTERM') };
}

async function startShoalTracker(): Promise<{ http: string; udp: string; stop(): void }> {
  const [hp, up] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI_PATH, 'tracker', '--http', `127.0.0.1:${hp}`, '--udp', `127.0.0.1:${up}`, '--interval', '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => l.startsWith('udp tracker') && resolve());
    child.on('exit', (c) => reject(new Error(`shoal tracker exited ${c}`)));
  });
  return { http: `http://127.0.0.1:${hp}/announce`, udp: `udp://127.0.0.1:${up}/announce`, stop: () => child.kill('SIGINT') };
}

function infoHashHex(): string {
  return Buffer.from(parseTorrent(readFileSync(torrent)).infoHashV1 ?? new Uint8Array()).toString('hex');
}

function assertSame(dir: string): void {
  for (const f of FILES) assert.equal(sha1(join(dir, NAME, f.path)), sha1(join(seedDir, NAME, f.path)), `${f.path} differs`);
}

async function scrape(url: string): Promise<{ complete: number; downloaded: number; incomplete: number } | undefined> {
  const runtime = createNodeRuntime();
  const client = new TrackerClient({ clock: runtime.clock, random: runtime.random, udp: runtime.udp, http: runtime.http, udpBaseTimeoutMs: 1000, udpMaxRetries: 2 });
  try {
    const infoHash = Buffer.from(infoHashHex(), 'hex');
    const r = await client.scrape(url, [infoHash]);
    return r.get(infoHash.toString('hex'));
  } finally {
    client.close();
    runtime.close();
  }
}

describe('libtorrent seeder + Shoal leecher via opentracker', { skip: !lt.ok ? lt.reason : !ot.ok ? ot.reason : false }, () => {
  for (const scheme of ['http', 'udp'] as const) {
    it(`finds the seeder over ${scheme.toUpperCase()}`, async () => {
      const o = await startOpentracker();
      const url = `${scheme}://127.0.0.1:${o.port}/announce`;
      const seeder = ltPeer('seed', seedDir, [url], '127.0.0.2');
      const ready = await seeder.line;
      assert.equal(ready.ready, true, seeder.out());
      const out = join(tmp, `get-ot-${scheme}`);
      const r = await runCli(['get', torrent, '-o', out, '--tracker', url, '--listen', '127.0.0.3:0', '--state-dir', join(tmp, `st-ot-${scheme}`)], { timeoutMs: 60_000, env: { ...process.env, SHOAL_TRACKER_LOG: '1' } });
      assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
      assertSame(out);
      seeder.child.kill('SIGTERM');
      o.stop();
    });
  }
  it('falls back to the second tier when the first tracker is dead (BEP 12)', async () => {
    const o = await startOpentracker();
    const url = `udp://127.0.0.1:${o.port}/announce`;
    const seeder = ltPeer('seed', seedDir, [url], '127.0.0.2');
    assert.equal((await seeder.line).ready, true, seeder.out());
    const dead = `http://127.0.0.1:${await freePort()}/announce`;
    const out = join(tmp, 'get-fallback');
    const r = await runCli(['get', torrent, '-o', out, '--tracker', dead, '--tracker', url, '--listen', '127.0.0.3:0', '--state-dir', join(tmp, 'st-fb')], { timeoutMs: 60_000, env: { ...process.env, SHOAL_TRACKER_LOG: '1' } });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`tracker ${dead.replace(/[.]/g, '\\.')}: `));
    assertSame(out);
    seeder.child.kill('SIGTERM');
    o.stop();
  });
});

describe('libtorrent seeder + libtorrent leecher via shoal tracker', { skip: lt.ok ? false : lt.reason }, () => {
  for (const scheme of ['http', 'udp'] as const) {
    it(`they find each other over ${scheme.toUpperCase()}; scrape counts are right`, async () => {
      const t = await startShoalTracker();
      const url = scheme === 'http' ? t.http : t.udp;
      const seeder = ltPeer('seed', seedDir, [url], '127.0.0.2');
      assert.equal((await seeder.line).ready, true, seeder.out());
      const s1 = await scrape(url);
      assert.deepEqual(s1, { complete: 1, downloaded: 0, incomplete: 0 });
      const leechDir = join(tmp, `lt-leech-${scheme}`);
      const leecher = ltPeer('leech', leechDir, [url], '127.0.0.4');
      const done = await leecher.line;
      assert.equal(done.complete, true, leecher.out());
      assertSame(leechDir);
      // libtorrent sends 'completed' on its next announce; give it a moment.
      let s2 = await scrape(t.http);
      for (let i = 0; i < 30 && s2?.downloaded !== 1; i++) {
        await new Promise((r) => setTimeout(r, 200));
        s2 = await scrape(t.http);
      }
      assert.equal(s2?.downloaded, 1);
      assert.ok((s2?.complete ?? 0) >= 1);
      const stats = (await (await fetch(t.http.replace('/announce', '/stats'))).json()) as Record<string, number>;
      assert.ok(stats.announces >= 2);
      seeder.child.kill('SIGTERM');
      t.stop();
    });
  }

  it('shoal seed announces to shoal tracker (UDP): a libtorrent leecher finds it; stopped removes it', async () => {
    const t = await startShoalTracker();
    const seed = spawn(process.execPath, [CLI_PATH, 'seed', torrent, join(seedDir, NAME), '--listen', '127.0.0.5:0', '--tracker', t.udp, '--state-dir', join(tmp, 'st-seed')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(seed);
    let s1 = await scrape(t.http);
    for (let i = 0; i < 50 && s1?.complete !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s1 = await scrape(t.http);
    }
    assert.equal(s1?.complete, 1, 'shoal seed announced as a seed');
    const leechDir = join(tmp, 'lt-from-shoal-seed');
    const leecher = ltPeer('leech', leechDir, [t.udp], '127.0.0.6');
    assert.equal((await leecher.line).complete, true, leecher.out());
    assertSame(leechDir);
    await new Promise<void>((r) => {
      seed.on('exit', () => r());
      seed.kill('SIGINT');
    });
    let s2 = await scrape(t.http);
    for (let i = 0; i < 30 && (s2?.complete ?? 0) + (s2?.incomplete ?? 0) > 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s2 = await scrape(t.http);
    }
    // Only the libtorrent peer (now a seed, or gone after its own stop) remains.
    assert.ok((s2?.complete ?? 0) <= 1, JSON.stringify(s2));
    t.stop();
  });
});
