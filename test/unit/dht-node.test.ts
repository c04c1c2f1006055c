/**
 * The DHT node core driven directly: a mock socket records what it sends, a fake clock
 * fires timers on demand, and the test plays the remote nodes by hand-encoding KRPC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { DhtNode } from '../../src/dht/dht-node.js';
import type { DhtNodeOptions, DhtEvent } from '../../src/dht/options.js';
import type { KrpcMessage } from '../../src/dht/krpc.js';
import { encodeQuery, encodeResponse, type QuerySpec } from '../../src/dht/krpc-encode.js';
import { idFromBytes, idToBytes, randomId, type NodeId } from '../../src/dht/node-id.js';
import { isCompliantNodeId } from '../../src/dht/bep42.js';
import { PeerStore } from '../../src/dht/peer-store.js';
import { TokenManager } from '../../src/dht/tokens.js';
import { TimerClock as FakeClock } from '../helpers/timer-clock.js';
import { RecordingDhtSocket } from '../helpers/recording-dht-socket.js';

function setup(options: DhtNodeOptions = {}) {
  const clock = new FakeClock();
  const random = new SeededRandom(42);
  const socket = new RecordingDhtSocket();
  const events: DhtEvent[] = [];
  const node = new DhtNode({ clock, random }, socket, { maintenanceIntervalMs: 0, onEvent: (e) => events.push(e), ...options });
  const peerRandom = new SeededRandom(7);
  const peer = (i: number) => ({ id: randomId(peerRandom), address: { host: `10.9.0.${i}`, port: 7000 + i } });
  let tid = 0;
  const ask = (from: { id: NodeId; address: Address }, spec: QuerySpec, ro = false) => {
    const t = Uint8Array.of(0x51, tid++ & 0xff);
    node.receive(encodeQuery(t, from.id, spec, { readOnly: ro }), from.address);
    return socket.take().filter((s) => s.to.host === from.address.host && s.msg.kind !== 'query').map((s) => s.msg);
  };
  return { clock, socket, node, events, peer, ask };
}

describe('DhtNode', () => {
  it('answers ping with its id and the requester address (BEP 42 ip)', () => {
    const { node, peer, ask } = setup();
    const p = peer(1);
    const [r] = ask(p, { q: 'ping' });
    assert.ok(r.kind === 'response');
    assert.equal(r.id, node.nodeId);
    assert.deepEqual(r.ip, p.address);
  });

  it('verifies an unknown querier with a ping and adds it when it answers', () => {
    const { node, socket, peer } = setup();
    const p = peer(1);
    node.receive(encodeQuery(Uint8Array.of(1), p.id, { q: 'ping' }), p.address);
    const ping = socket.take().find((s) => s.msg.kind === 'query');
    assert.ok(ping && ping.msg.kind === 'query' && ping.msg.q === 'ping');
    assert.equal(node.table.size, 0);
    node.receive(encodeResponse(ping.msg.t, p.id, {}), p.address);
    assert.ok(node.table.get(p.id));
  });

  it('does not add read-only (BEP 43) queriers', () => {
    const { node, socket, peer } = setup();
    const p = peer(1);
    node.receive(encodeQuery(Uint8Array.of(1), p.id, { q: 'ping' }, { readOnly: true }), p.address);
    const out = socket.take();
    assert.equal(out.length, 1, 'only the reply, no verification ping');
    assert.equal(out[0].msg.kind, 'response');
  });

  it('in read-only mode answers nothing and flags its own queries', () => {
    const { node, socket, peer, ask } = setup({ readOnly: true });
    assert.deepEqual(ask(peer(1), { q: 'ping' }), []);
    node.query(peer(2).address, { q: 'ping' });
    const [q] = socket.take();
    assert.ok(q.msg.kind === 'query' && q.msg.ro);
  });

  it('hands out tokens with get_peers and stores announces that return them', () => {
    const { peer, ask, events } = setup();
    const p = peer(1);
    const ih = randomId(new SeededRandom(9));
    const [g] = ask(p, { q: 'get_peers', infoHash: ih });
    assert.ok(g.kind === 'response' && g.token !== undefined);
    assert.equal(g.values, undefined);
    const [bad] = ask(p, { q: 'announce_peer', infoHash: ih, port: 5000, impliedPort: false, token: Uint8Array.of(1, 2, 3) });
    assert.ok(bad.kind === 'error' && bad.code === 203);
    const other = peer(2);
    const [stolen] = ask(other, { q: 'announce_peer', infoHash: ih, port: 5000, impliedPort: false, token: g.token });
    assert.ok(stolen.kind === 'error', 'a token is only good from the IP it was given to');
    const [ok] = ask(p, { q: 'announce_peer', infoHash: ih, port: 5000, impliedPort: false, token: g.token });
    assert.equal(ok.kind, 'response');
    const [ok2] = ask(p, { q: 'announce_peer', infoHash: ih, port: 1, impliedPort: true, token: g.token });
    assert.equal(ok2.kind, 'response');
    const [g2] = ask(peer(3), { q: 'get_peers', infoHash: ih });
    assert.ok(g2.kind === 'response');
    // One entry per IP per torrent (libtorrent's rule too): the implied port replaced port 5000.
    assert.deepEqual(g2.values?.map((v) => v.port), [p.address.port]);
    assert.ok(events.some((e) => e.type === 'announce'));
  });

  it('accepts tokens for 5 to 10 minutes', () => {
    const secrets = new SeededRandom(5);
    const tm = new TokenManager((n) => secrets.bytes(n), 0);
    const ih = randomId(new SeededRandom(1));
    const tok = tm.make('1.2.3.4', ih, 0);
    assert.ok(tm.check(tok, '1.2.3.4', ih, 6 * 60_000));
    assert.equal(tm.check(tok, '1.2.3.4', ih, 11 * 60_000), false);
    assert.equal(tm.check(tok, '1.2.3.5', ih, 0), false);
  });

  it('takes token secrets from a Random as it would from a function (the same bytes, the same tokens)', () => {
    const ih = randomId(new SeededRandom(1));
    const fromFn = new SeededRandom(5);
    const a = new TokenManager((n) => fromFn.bytes(n), 0);
    const b = new TokenManager(new SeededRandom(5), 0);
    assert.deepEqual(b.make('1.2.3.4', ih, 0), a.make('1.2.3.4', ih, 0));
    // After two rotations both draw fresh secrets from their sources, in the same order.
    assert.deepEqual(b.make('1.2.3.4', ih, 11 * 60_000), a.make('1.2.3.4', ih, 11 * 60_000));
  });

  it('drops queries from a source over its rate limit', () => {
    const { node, peer, ask } = setup({ rateLimit: { perSecond: 1, burst: 5 } });
    const p = peer(1);
    let answered = 0;
    for (let i = 0; i < 20; i++) answered += ask(p, { q: 'ping' }).length;
    assert.equal(answered, 5);
    assert.equal(node.stats.rateLimited, 15);
    assert.equal(ask(peer(2), { q: 'ping' }).length, 1, 'other sources are not affected');
  });

  it('fails queries at once past the pending cap, and times out the rest', () => {
    const { node, clock, peer } = setup({ rpc: { maxPending: 2, softTimeoutMs: 500, timeoutMs: 2000 } });
    const outcome: string[] = [];
    for (let i = 0; i < 3; i++) {
      node.query(peer(i).address, { q: 'ping' }, {
        response: () => outcome.push('r'), error: () => outcome.push('e'), timeout: () => outcome.push(`t${clock.now()}`),
        slow: () => outcome.push(`s${clock.now()}`),
      });
    }
    assert.deepEqual(outcome, ['t0']);
    clock.advance(3000);
    assert.deepEqual(outcome, ['t0', 's500', 's500', 't2000', 't2000']);
    assert.equal(node.pendingQueries, 0);
  });

  it('ignores replies from the wrong address and malformed datagrams', () => {
    const { node, socket, peer, clock } = setup();
    const p = peer(1);
    let got = 0;
    node.query(p.address, { q: 'ping' }, { response: () => got++, error: () => {}, timeout: () => {} });
    const [q] = socket.take();
    node.receive(encodeResponse(q.msg.t, p.id, {}), { host: '10.66.6.6', port: p.address.port });
    assert.equal(got, 0);
    node.receive(Uint8Array.of(1, 2, 3), p.address);
    assert.equal(node.stats.malformed, 1);
    node.receive(encodeResponse(q.msg.t, p.id, {}), p.address);
    assert.equal(got, 1);
    clock.advance(10_000);
  });

  it('answers sample_infohashes (BEP 51) from its peer store', () => {
    const { peer, ask } = setup({ sampleIntervalSec: 300, rateLimit: false });
    const p = peer(1);
    const hashes = Array.from({ length: 30 }, (_, i) => randomId(new SeededRandom(100 + i)));
    for (const ih of hashes) {
      const [g] = ask(p, { q: 'get_peers', infoHash: ih });
      assert.ok(g.kind === 'response' && g.token);
      ask(p, { q: 'announce_peer', infoHash: ih, port: 1, impliedPort: false, token: g.token });
    }
    const [s] = ask(peer(2), { q: 'sample_infohashes', target: p.id });
    assert.ok(s.kind === 'response');
    assert.equal(s.num, 30);
    assert.equal(s.interval, 300);
    assert.equal(s.samples?.length, 20);
    for (const x of s.samples ?? []) assert.ok(hashes.includes(x));
  });

  it('answers unknown methods with error 204, or with nodes when they carry a target', () => {
    const { node, peer } = setup();
    const p = peer(1);
    const raw = (body: string) => new TextEncoder().encode(`d1:ad2:id20:${'x'.repeat(20)}${body}e1:q5:hello1:t2:aa1:y1:qe`);
    const out: KrpcMessage[] = [];
    const s = node.socket as RecordingDhtSocket;
    node.receive(raw(''), p.address);
    node.receive(raw(`6:target20:${'y'.repeat(20)}`), p.address);
    out.push(...s.take().filter((x) => x.msg.kind !== 'query').map((x) => x.msg));
    assert.ok(out[0].kind === 'error' && out[0].code === 204);
    assert.ok(out[1].kind === 'response' && out[1].nodes !== undefined);
  });

  it('saves its id and routing table and starts from them again', () => {
    const { node, peer } = setup();
    for (let i = 1; i <= 20; i++) {
      const p = peer(i);
      node.table.responded(p.id, p.address, 0);
    }
    const saved = node.saveState();
    const again = setup({ state: saved });
    assert.equal(again.node.nodeId, node.nodeId);
    assert.equal(again.node.savedContacts.length, 20);
    assert.equal(again.node.table.size, 0, 'saved nodes are not trusted until they answer');
    again.node.bootstrap();
    const queries = again.socket.take().filter((s) => s.msg.kind === 'query');
    assert.ok(queries.length > 0 && queries.length <= again.node.alpha);
  });

  it('adopts a BEP 42 compliant id once enough nodes agree on its external IP', () => {
    const { node, socket, events } = setup({ bep42: { minVotes: 3 } });
    const before = node.nodeId;
    for (let i = 1; i <= 3; i++) {
      const to = { host: `198.51.100.${i}`, port: 6881 };
      node.query(to, { q: 'ping' });
      const [q] = socket.take();
      node.receive(encodeResponse(q.msg.t, idFromBytes(new SeededRandom(i).bytes(20)), {}, { host: '203.0.113.7', port: 6881 }), to);
    }
    assert.equal(node.externalHost, '203.0.113.7');
    assert.notEqual(node.nodeId, before);
    assert.ok(isCompliantNodeId(node.nodeId, '203.0.113.7'));
    assert.ok(events.some((e) => e.type === 'id-changed'));
    assert.equal(node.table.size, 3, 'the table is rebuilt around the new id');
    assert.deepEqual(idToBytes(node.nodeId), node.nodeIdBytes);
  });

  it('in require mode ignores nodes whose ids are not BEP 42 compliant', () => {
    const { node, socket } = setup({ bep42: { enforce: 'require' } });
    const to = { host: '198.51.100.1', port: 6881 };
    node.query(to, { q: 'ping' });
    const [q] = socket.take();
    node.receive(encodeResponse(q.msg.t, randomId(new SeededRandom(3)), {}), to);
    assert.equal(node.table.size, 0);
    const local = { host: '10.1.1.1', port: 6881 };
    node.query(local, { q: 'ping' });
    const [q2] = socket.take();
    node.receive(encodeResponse(q2.msg.t, randomId(new SeededRandom(4)), {}), local);
    assert.equal(node.table.size, 1, 'private addresses are exempt');
  });

  it('does not count timeouts against its nodes while nothing at all arrives (its own network is down)', () => {
    const { node, socket, clock, peer } = setup({ rpc: { timeoutMs: 2000 } });
    const a = peer(1), b = peer(2);
    for (const p of [a, b]) {
      node.query(p.address, { q: 'ping' });
      const [q] = socket.take();
      node.receive(encodeResponse(q.msg.t, p.id, {}), p.address);
    }
    assert.equal(node.table.size, 2);
    // Cut off: every query to both times out, again and again; nobody is evicted.
    for (let round = 0; round < 3; round++) {
      for (const p of [a, b]) node.queryNode(p, { q: 'ping' }, { response() {}, error() {}, timeout() {} });
      clock.advance(3000);
    }
    socket.take();
    assert.equal(node.table.size, 2, 'kept while nothing arrived');
    // Back online: b answers, a stays silent, and a's timeouts now count (two in a row: bad, removed).
    for (let round = 0; round < 2; round++) {
      node.queryNode(a, { q: 'ping' }, { response() {}, error() {}, timeout() {} });
      node.queryNode(b, { q: 'ping' }, { response() {}, error() {}, timeout() {} });
      const toB = socket.take().find((x) => x.to.host === b.address.host)!;
      node.receive(encodeResponse(toB.msg.t, b.id, {}), b.address);
      clock.advance(3000);
    }
    assert.equal(node.table.get(a.id), undefined, 'a node that is silent while others answer is dropped');
    assert.ok(node.table.get(b.id));
  });

  it('keeps out of its table, and out of lookups, ids its acceptNodeId check rejects (crypto-puzzle ids)', () => {
    const r = new SeededRandom(5);
    const good = { id: randomId(r), address: { host: '10.2.0.1', port: 6881 } };
    const bad = { id: randomId(r), address: { host: '10.2.0.2', port: 6881 } };
    const { node, socket } = setup({ acceptNodeId: (id) => idFromBytes(id) === good.id });
    for (const p of [good, bad]) {
      node.query(p.address, { q: 'ping' });
      const [q] = socket.take();
      node.receive(encodeResponse(q.msg.t, p.id, {}), p.address);
    }
    assert.ok(node.table.get(good.id));
    assert.equal(node.table.get(bad.id), undefined);
    assert.equal(node.acceptContact(bad), false, 'a reply naming it does not make it a lookup candidate');
    assert.equal(node.acceptContact(good), true);
  });
});

describe('PeerStore', () => {
  it('limits peers per info hash and info hashes, and expires peers', () => {
    const r = new SeededRandom(1);
    const s = new PeerStore({ maxPeersPerInfoHash: 3, maxInfoHashes: 2, peerTtlMs: 1000, maxValues: 2 });
    const a = randomId(r), b = randomId(r), c = randomId(r);
    for (let i = 0; i < 5; i++) s.add(a, Uint8Array.of(1, 1, 1, i, 0, 1), false, i);
    assert.equal(s.get(a, 10, r).length, 2, 'maxValues caps one answer');
    // From a's /24, which then holds four entries: b has the least support (peer-store.ts) and makes room for c.
    s.add(b, Uint8Array.of(1, 1, 1, 9, 0, 1), false, 0);
    assert.ok(s.add(c, Uint8Array.of(3, 3, 3, 3, 0, 1), false, 0));
    assert.equal(s.infoHashCount, 2);
    assert.equal(s.get(a, 5000, r).length, 0);
    assert.equal(s.get(c, 999, r, true).length, 1);
  });
});
