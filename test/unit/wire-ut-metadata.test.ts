import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encode } from '../../src/bencode/encode.js';
import { PeerProtocolError, isCorruptData } from '../../src/wire/errors.js';
import { MetadataFetcher, type MetadataFetcherEvent } from '../../src/wire/metadata-fetcher.js';
import {
  METADATA_PIECE_SIZE, MetadataServer, decodeMetadataMessage, encodeMetadataMessage, metadataPieceCount,
} from '../../src/wire/ut-metadata.js';

const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A fake info dict of `n` bytes. */
function info(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
const sha1 = (b: Uint8Array) => new Uint8Array(createHash('sha1').update(b).digest());
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('wire ut_metadata messages (BEP 9)', () => {
  it('encodes the BEP 9 examples', () => {
    assert.equal(Buffer.from(encodeMetadataMessage({ type: 'request', piece: 0 })).toString(), 'd8:msg_typei0e5:piecei0ee');
    assert.equal(Buffer.from(encodeMetadataMessage({ type: 'reject', piece: 0 })).toString(), 'd8:msg_typei2e5:piecei0ee');
    const data = encodeMetadataMessage({ type: 'data', piece: 0, totalSize: 3425, data: text('xxxxxxxx') });
    assert.equal(Buffer.from(data).toString(), 'd8:msg_typei1e5:piecei0e10:total_sizei3425eexxxxxxxx');
  });

  it('decodes the data message as a dict followed by raw bytes', () => {
    const payload = text('d8:msg_typei1e5:piecei2e10:total_sizei40000eed1:ai1ee');
    const m = decodeMetadataMessage(payload);
    assert.deepEqual({ ...m, data: undefined }, { type: 'data', piece: 2, totalSize: 40000, data: undefined });
    assert.ok(m.type === 'data');
    assert.equal(Buffer.from(m.data).toString(), 'd1:ai1ee', 'bytes that look like bencode are data');
    assert.equal(m.data.buffer, payload.buffer, 'a view, not a copy');
  });

  it('ignores unknown msg_types (BEP 9 MUST) and tolerates unsorted keys', () => {
    assert.deepEqual(decodeMetadataMessage(text('d8:msg_typei7e5:piecei0ee')), { type: 'unknown', msgType: 7 });
    assert.deepEqual(decodeMetadataMessage(text('d5:piecei3e8:msg_typei0ee')), { type: 'request', piece: 3 });
  });

  it('rejects malformed messages', () => {
    const bad = ['i1e', 'd5:piecei0ee', 'd8:msg_typei0ee', 'd8:msg_typei1e5:piecei0ee', 'd8:msg_typei-1e5:piecei0ee', 'd8:msg_type', 'x'];
    for (const s of bad) assert.throws(() => decodeMetadataMessage(text(s)), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'bad_metadata', s);
    const long = new Uint8Array([...encode({ msg_type: 1, piece: 0, total_size: 99999 }), ...new Uint8Array(METADATA_PIECE_SIZE + 1)]);
    assert.throws(() => decodeMetadataMessage(long), PeerProtocolError);
  });
});

describe('wire MetadataServer', () => {
  it('serves 16 KiB pieces of the info dict and a short last piece', () => {
    const meta = info(40_000);
    const s = new MetadataServer<string>(meta);
    assert.equal(s.size, 40_000);
    const last = s.respond('a', 2);
    assert.ok(last.type === 'data');
    assert.equal(last.data.length, 40_000 - 2 * METADATA_PIECE_SIZE);
    assert.equal(last.totalSize, 40_000);
    assert.deepEqual(s.respond('a', 3), { type: 'reject', piece: 3 });
  });

  it('rejects while it does not have the metadata', () => {
    const s = new MetadataServer<string>();
    assert.deepEqual(s.respond('a', 0), { type: 'reject', piece: 0 });
    s.setInfo(info(100));
    assert.equal(s.respond('a', 0).type, 'data');
  });

  it('rejects a peer that asks for more than pieces * maxRequestsFactor', () => {
    const s = new MetadataServer<string>(info(100), { maxRequestsFactor: 2 });
    assert.equal(s.respond('a', 0).type, 'data');
    assert.equal(s.respond('a', 0).type, 'data');
    assert.equal(s.respond('a', 0).type, 'reject');
    assert.equal(s.respond('b', 0).type, 'data', 'counted per peer');
    s.forget('a');
    assert.equal(s.respond('a', 0).type, 'data');
  });
});

type Behaviour = { meta: Uint8Array } | 'reject' | 'silent';

/** Runs a fetcher against scripted peers until it completes or stalls; returns every event. */
function drive(f: MetadataFetcher<string>, peers: Map<string, Behaviour>, start = 0, steps = 200): { events: MetadataFetcherEvent<string>[]; asked: Map<string, number> } {
  const events: MetadataFetcherEvent<string>[] = [];
  const asked = new Map<string, number>();
  let now = start;
  for (let step = 0; step < steps && !f.complete; step++) {
    const reqs = f.requests(now);
    if (reqs.length === 0) {
      const next = f.nextDeadline();
      if (next === Infinity) break;
      now = Math.max(now + 1, next);
      continue;
    }
    for (const { peer, piece } of reqs) {
      asked.set(peer, (asked.get(peer) ?? 0) + 1);
      const b = peers.get(peer);
      if (b === 'reject') f.onReject(peer, piece, now);
      else if (b && b !== 'silent') {
        const begin = piece * METADATA_PIECE_SIZE;
        events.push(...f.onData(peer, piece, b.meta.length, b.meta.subarray(begin, begin + METADATA_PIECE_SIZE)));
      }
    }
  }
  return { events, asked };
}

describe('wire MetadataFetcher (BEP 9)', () => {
  const meta = info(100_000);

  it('fetches from several peers and verifies the SHA-1 info hash', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta) });
    const peers = new Map<string, Behaviour>([['a', { meta }], ['b', { meta }], ['c', { meta }]]);
    for (const p of peers.keys()) assert.equal(f.addPeer(p, meta.length), true);
    const { events, asked } = drive(f, peers);
    const done = events.find((e) => e.type === 'complete');
    assert.ok(done && done.type === 'complete');
    assert.deepEqual(done.info, meta);
    assert.equal(asked.size, 3, 'spread over the peers');
    assert.deepEqual(f.requests(0), []);
  });

  it('verifies the SHA-256 info hash for v2, and both for hybrids', () => {
    for (const opts of [{ infoHashV2: sha256(meta) }, { infoHashV1: sha1(meta), infoHashV2: sha256(meta) }]) {
      const f = new MetadataFetcher<string>(opts);
      f.addPeer('a', meta.length);
      assert.ok(drive(f, new Map([['a', { meta }]])).events.some((e) => e.type === 'complete'));
    }
    const wrongV2 = new MetadataFetcher<string>({ infoHashV1: sha1(meta), infoHashV2: sha256(info(10)) });
    wrongV2.addPeer('a', meta.length);
    assert.ok(drive(wrongV2, new Map([['a', { meta }]])).events.some((e) => e.type === 'bad_peer'));
  });

  it('ignores peers advertising a size of zero or over maxMetadataSize', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta), maxMetadataSize: 50_000 });
    assert.equal(f.addPeer('a', 0), false);
    assert.equal(f.addPeer('b', 50_001), false);
    assert.equal(f.addPeer('c', 50_000), true);
  });

  it('reports a peer whose data contradicts its advertised size or has the wrong length', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta) });
    f.addPeer('a', meta.length);
    f.addPeer('b', meta.length);
    f.requests(0);
    const e1 = f.onData('a', 0, meta.length + 1, meta.subarray(0, METADATA_PIECE_SIZE));
    assert.equal(e1[0]?.type, 'bad_peer');
    const e2 = f.onData('b', 0, meta.length, meta.subarray(0, 100));
    assert.ok(e2[0]?.type === 'bad_peer' && e2[0].peer === 'b' && e2[0].error.violation === 'bad_metadata');
    const e3 = f.onData('b', 0, meta.length, meta.subarray(0, METADATA_PIECE_SIZE));
    assert.deepEqual(e3, [], 'a banned peer is not heard');
    assert.equal(f.addPeer('b', meta.length), false);
  });

  it('restarts on a hash mismatch, then isolates and names the lying peer', () => {
    const lie = meta.slice();
    lie[5] ^= 0xff;
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta) });
    const peers = new Map<string, Behaviour>([['liar', { meta: lie }], ['honest1', { meta }], ['honest2', { meta }]]);
    for (const p of peers.keys()) f.addPeer(p, meta.length);
    const { events } = drive(f, peers);
    const mismatch = events.find((e) => e.type === 'hash_mismatch');
    assert.ok(mismatch && mismatch.type === 'hash_mismatch' && mismatch.suspects.includes('liar'));
    const bad = events.filter((e) => e.type === 'bad_peer');
    assert.deepEqual(bad.map((e) => e.type === 'bad_peer' && e.peer), ['liar']);
    const liar = bad[0];
    assert.ok(liar.type === 'bad_peer' && liar.error.violation === 'corrupt_metadata' && isCorruptData(liar.error.violation), 'corrupt data, to be banned');
    const done = events.find((e) => e.type === 'complete');
    assert.ok(done && done.type === 'complete');
    assert.deepEqual(done.info, meta);
  });

  it('chooses the size most peers advertise', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta) });
    f.addPeer('odd', 5000);
    f.addPeer('a', meta.length);
    f.addPeer('b', meta.length);
    const reqs = f.requests(0);
    assert.ok(reqs.length > 0 && reqs.every((r) => r.peer !== 'odd'));
  });

  it('asks another peer after a reject, and backs off the rejecting one', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta), retryAfterMs: 30_000 });
    const peers = new Map<string, Behaviour>([['rejects', 'reject'], ['good', { meta }]]);
    for (const p of peers.keys()) f.addPeer(p, meta.length);
    const { events, asked } = drive(f, peers);
    assert.ok(events.some((e) => e.type === 'complete'));
    assert.ok((asked.get('rejects') ?? 0) <= 2, 'not asked again during its back-off');
  });

  it('gives a timed-out request to another peer', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta), requestTimeoutMs: 5000, maxRequestsPerPeer: 7 });
    f.addPeer('silent', meta.length);
    const first = f.requests(0);
    assert.equal(first.length, metadataPieceCount(meta.length));
    assert.equal(f.nextDeadline(), 5000);
    f.addPeer('good', meta.length);
    assert.deepEqual(f.requests(4999), [], 'still waiting');
    const { events } = drive(f, new Map<string, Behaviour>([['silent', 'silent'], ['good', { meta }]]), 5000);
    assert.ok(events.some((e) => e.type === 'complete'));
  });

  it('releases the requests of a peer that disconnects', () => {
    const f = new MetadataFetcher<string>({ infoHashV1: sha1(meta), maxRequestsPerPeer: 10 });
    f.addPeer('gone', meta.length);
    assert.equal(f.requests(0).length, metadataPieceCount(meta.length));
    f.removePeer('gone');
    f.addPeer('new', meta.length);
    assert.equal(f.requests(1).length, metadataPieceCount(meta.length));
  });

  it('needs at least one info hash', () => {
    assert.throws(() => new MetadataFetcher<string>({}), RangeError);
  });
});
