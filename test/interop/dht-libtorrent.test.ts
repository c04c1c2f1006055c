/**
 * Real interop on loopback: twelve libtorrent DHT nodes (python3-libtorrent, driven by
 * py/dht_lt.py) and three Shoal nodes on the real Node runtime, all on 127.0.0.x.
 *  - Shoal finds the address of a peer libtorrent announced;
 *  - `shoal get magnet:` with only `--dht-bootstrap` (no tracker, no peer hint) finds a
 *    libtorrent seeder through the DHT and downloads the torrent from it;
 *  - libtorrent finds a peer Shoal announced;
 *  - a mutable item put by Shoal is read by libtorrent, and one put by libtorrent by Shoal.
 * Skipped when python3-libtorrent is missing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Dht } from '../../src/dht/dht.js';
import { generateKeyPair } from '../../src/dht/ed25519.js';
import { mutableTarget } from '../../src/dht/items.js';
import { idToBytes } from '../../src/dht/node-id.js';
import { PY_DIR, PYTHON, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree } from './helpers.js';

const LT_NODES = 12;
const lt = libtorrentAvailable();

/** The python side: one JSON command per line in, one JSON answer per line out. */
class LtNetwork {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((v: unknown) => void)[] = [];
  nodes: [string, number][] = [];

  constructor(count: number, basePort: number) {
    this.child = spawn(PYTHON, [join(PY_DIR, 'dht_lt.py'), String(count), String(basePort)], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line)));
    this.child.stderr.on('data', () => {});
  }

  async ready(): Promise<void> {
    const r = (await new Promise<unknown>((resolve) => this.waiting.push(resolve))) as { nodes: [string, number][] };
    this.nodes = r.nodes;
  }

  send<T>(cmd: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting.push((v) => ((v as { error?: string }).error ? reject(new Error((v as { error: string }).error)) : resolve(v as T)));
      this.child.stdin.write(JSON.stringify(cmd) + '\n');
    });
  }

  close(): void {
    this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function retry<T>(attempts: number, fn: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let i = 0; i < attempts; i++) {
    const r = await fn();
    if (r !== undefined) return r;
    await sleep(1000);
  }
  return undefined;
}

describe('DHT interop with libtorrent on loopback', { skip: lt.ok ? false : lt.reason, timeout: 180_000 }, () => {
  let net: LtNetwork;
  let rt: NodeRuntime;
  let tmp: string;
  const shoal: Dht[] = [];

  before(async () => {
    net = new LtNetwork(LT_NODES, 40000 + Math.floor(Math.random() * 5000));
    await net.ready();
    await net.send({ cmd: 'mesh' });
    tmp = makeTempDir('shoal-dht-lt-');
    rt = createNodeRuntime();
    const bootstrap = net.nodes.map(([host, port]) => ({ host, port }));
    for (let i = 0; i < 3; i++) {
      const d = await Dht.start(rt, { bind: { host: `127.0.0.${2 + i}`, port: 0 }, bootstrap });
      shoal.push(d);
      await net.send({ cmd: 'add_node', host: d.address.host, port: d.address.port });
    }
    await sleep(2000);
    for (const d of shoal) await d.bootstrap();
  });

  after(() => {
    for (const d of shoal) d.close();
    rt?.close();
    net?.close();
    if (tmp !== undefined) removeDir(tmp);
  });

  it('bootstraps Shoal nodes from libtorrent nodes', () => {
    for (const d of shoal) assert.ok(d.size >= LT_NODES / 2, `routing table has ${d.size} nodes`);
  });

  it('finds the address of a peer that libtorrent announced', async () => {
    const ih = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    await net.send({ cmd: 'add_torrent', i: 3, infohash: hexOf(ih) });
    const found = await retry(15, async () => {
      const r = await shoal[0].getPeers(ih);
      return r.peers.find((p) => p.host === net.nodes[3][0] && p.port === net.nodes[3][1]);
    });
    assert.ok(found, 'the libtorrent-announced peer was found');
  });

  it('downloads a magnet from a libtorrent seeder found only through the DHT', async () => {
    writeTree(join(tmp, 'seed', 'lt-stuff'), [{ path: 'a.bin', length: 700_000 }, { path: 'd/b.bin', length: 250_000 }]);
    const torrent = join(tmp, 'lt-stuff.torrent');
    assert.equal((await shoalCreate(join(tmp, 'seed', 'lt-stuff'), torrent, ['--piece-length', '32k', '--no-date', '--v1'])).code, 0);
    const info = await shoalInfo(torrent);
    const seeded = await net.send<{ seeding: boolean }>({ cmd: 'seed', i: 4, torrent, save_path: join(tmp, 'seed'), timeout: 30 });
    assert.ok(seeded.seeding, 'libtorrent checked the data and seeds');
    // Bootstrap from a libtorrent node other than the seeder: the seeder is found by get_peers.
    const [bh, bp] = net.nodes[8];
    const magnet = `magnet:?xt=urn:btih:${info.infoHash}`;
    const args = ['get', magnet, '-o', join(tmp, 'out'), '--listen', '127.0.0.40:0', '--state-dir', join(tmp, 'state'), '--dht-bootstrap', `${bh}:${bp}`];
    // libtorrent's announce may still be on its way to the closest nodes: one retry.
    let r = await runCli(args, { timeoutMs: 40_000 });
    if (r.code !== 0) r = await runCli(args, { timeoutMs: 40_000 });
    assert.equal(r.code, 0, r.stderr);
    const sha = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');
    for (const f of ['a.bin', 'd/b.bin']) assert.equal(sha(join(tmp, 'out', 'lt-stuff', f)), sha(join(tmp, 'seed', 'lt-stuff', f)), f);
  });

  it('lets libtorrent find a peer that Shoal announced', async () => {
    const ih = Uint8Array.from({ length: 20 }, (_, i) => 200 - i);
    const a = await shoal[1].announce(ih, { port: 7101 });
    assert.ok(a.announcedTo > 0, 'some node accepted the announce');
    const peers = await retry(10, async () => {
      const r = await net.send<{ peers: string[] }>({ cmd: 'get_peers', i: 7, infohash: hexOf(ih), timeout: 10 });
      return r.peers.includes(`${shoal[1].address.host}:7101`) ? r.peers : undefined;
    });
    assert.ok(peers, 'libtorrent found the Shoal-announced peer');
  });

  it('puts a mutable item that libtorrent reads', async () => {
    const keyPair = generateKeyPair();
    const put = await shoal[2].putMutable({ keyPair, value: 'hello from shoal', salt: new TextEncoder().encode('s1') });
    assert.ok(put.storedAt > 0, `stored at ${put.storedAt} nodes (${put.errors.map((e) => e.message).join('; ')})`);
    const got = await retry(5, async () => {
      const r = await net.send<{ value: string | null; seq: number | null }>({ cmd: 'get_mutable', i: 5, public: hexOf(keyPair.publicKey), salt: 's1', timeout: 10 });
      return r.value === 'hello from shoal' ? r : undefined;
    });
    assert.equal(got?.seq, 1);
  });

  it('reads a mutable item that libtorrent put', async () => {
    const keyPair = generateKeyPair();
    const put = await net.send<{ success: number; seq: number }>({ cmd: 'put_mutable', i: 9, seed: hexOf(keyPair.seed), public: hexOf(keyPair.publicKey), data: 'hello from libtorrent', salt: 'abc', timeout: 20 });
    assert.ok(put.success > 0, `libtorrent stored it at ${put.success} nodes`);
    const salt = new TextEncoder().encode('abc');
    const got = await retry(5, async () => {
      const r = await shoal[0].get(idToBytes(mutableTarget(keyPair.publicKey, salt)), { salt });
      return r.item;
    });
    assert.ok(got, 'Shoal found the item');
    assert.equal(Buffer.from(got.v).toString(), '21:hello from libtorrent');
    assert.equal(got.seq, BigInt(put.seq));
  });
});
