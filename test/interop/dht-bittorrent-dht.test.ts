/**
 * Interop with the `bittorrent-dht` npm package (webtorrent's DHT), in-process on loopback:
 * five of its nodes and a Shoal node, each finding what the other announced or stored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Dht } from '../../src/dht/dht.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/dht/ed25519.js';
import { mutableTarget } from '../../src/dht/items.js';
import { idToBytes } from '../../src/dht/node-id.js';

/** The part of bittorrent-dht's (untyped) API this test uses. */
interface PeerAddress {
  host: string;
  port: number;
}
interface WebtorrentDht {
  listen(port: number, host: string, cb: () => void): void;
  address(): { address: string; port: number };
  addNode(node: PeerAddress): void;
  announce(infoHash: Buffer, port: number, cb: (err: Error | null) => void): void;
  lookup(infoHash: Buffer, cb: (err: Error | null, n: number) => void): void;
  on(event: 'peer', fn: (peer: PeerAddress, infoHash: Buffer) => void): void;
  put(opts: Record<string, unknown>, cb: (err: Error | null, hash: Buffer, n: number) => void): void;
  get(key: Buffer, opts: Record<string, unknown>, cb: (err: Error | null, res: { v: Buffer; seq?: number } | null) => void): void;
  destroy(cb?: () => void): void;
}
type DhtCtor = new (opts: Record<string, unknown>) => WebtorrentDht;

const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const signWith = (kp: Ed25519KeyPair) => (msg: Buffer) => sign(null, msg, createPrivateKey({ key: Buffer.concat([PKCS8, kp.seed]), format: 'der', type: 'pkcs8' }));
const verifyEd = (sig: Buffer, msg: Buffer, pk: Buffer) => verify(null, msg, createPublicKey({ key: Buffer.concat([SPKI, pk]), format: 'der', type: 'spki' }), sig);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function loadDht(): Promise<DhtCtor | undefined> {
  try {
    const m = (await import('bittorrent-dht' as string)) as { default: DhtCtor };
    return m.default;
  } catch {
    return undefined;
  }
}

const Ctor = await loadDht();

describe('DHT interop with the bittorrent-dht package', { skip: Ctor ? false : 'bittorrent-dht is not installed (npm install)', timeout: 60_000 }, () => {
  const theirs: WebtorrentDht[] = [];
  let rt: NodeRuntime;
  let shoal: Dht;

  before(async () => {
    const C = Ctor as DhtCtor;
    for (let i = 0; i < 5; i++) {
      const d = new C({ bootstrap: false, verify: verifyEd });
      await new Promise<void>((r) => d.listen(0, `127.0.0.${30 + i}`, r));
      theirs.push(d);
    }
    const addrs = theirs.map((d) => ({ host: d.address().address, port: d.address().port }));
    for (const d of theirs) for (const a of addrs) d.addNode(a);
    rt = createNodeRuntime();
    shoal = await Dht.start(rt, { bind: { host: '127.0.0.6', port: 0 }, bootstrap: addrs });
    for (const d of theirs) d.addNode({ host: shoal.address.host, port: shoal.address.port });
    await sleep(500);
    await shoal.bootstrap();
  });

  after(() => {
    shoal?.close();
    rt?.close();
    for (const d of theirs) d.destroy();
  });

  it('bootstraps from bittorrent-dht nodes', () => {
    assert.ok(shoal.size >= 3, `routing table has ${shoal.size} nodes`);
  });

  it('finds a peer that bittorrent-dht announced', async () => {
    const ih = Buffer.alloc(20, 7);
    await new Promise<void>((resolve, reject) => theirs[2].announce(ih, 6999, (e) => (e ? reject(e) : resolve())));
    const r = await shoal.getPeers(ih);
    assert.ok(r.peers.some((p) => p.host === '127.0.0.32' && p.port === 6999), JSON.stringify(r.peers));
  });

  it('lets bittorrent-dht find a peer that Shoal announced', async () => {
    const ih = Buffer.alloc(20, 9);
    const a = await shoal.announce(ih, { port: 7555 });
    assert.ok(a.announcedTo > 0);
    const seen: PeerAddress[] = [];
    theirs[4].on('peer', (p, h) => {
      if (h.equals(ih)) seen.push(p);
    });
    await new Promise<void>((resolve) => theirs[4].lookup(ih, () => resolve()));
    assert.ok(seen.some((p) => p.host === '127.0.0.6' && p.port === 7555), JSON.stringify(seen));
  });

  it('reads a mutable item bittorrent-dht put, and bittorrent-dht reads one Shoal put', async () => {
    const kp = generateKeyPair();
    const salt = Buffer.from('webtorrent');
    await new Promise<void>((resolve, reject) => theirs[1].put({ k: Buffer.from(kp.publicKey), v: Buffer.from('from bittorrent-dht'), seq: 3, salt, sign: signWith(kp) }, (e) => (e ? reject(e) : resolve())));
    const got = await shoal.get(idToBytes(mutableTarget(kp.publicKey, salt)), { salt });
    assert.equal(Buffer.from(got.item?.v ?? []).toString(), '19:from bittorrent-dht');
    assert.equal(got.item?.seq, 3n);

    const kp2 = generateKeyPair();
    const put = await shoal.putMutable({ keyPair: kp2, value: 'from shoal', seq: 5n });
    assert.ok(put.storedAt > 0);
    const target = Buffer.from(idToBytes(mutableTarget(kp2.publicKey)));
    const res = await new Promise<{ v: Buffer; seq?: number } | null>((resolve, reject) => theirs[3].get(target, { cache: false }, (e, r) => (e ? reject(e) : resolve(r))));
    assert.equal(res?.v.toString(), 'from shoal');
    assert.equal(res?.seq, 5);
  });
});
