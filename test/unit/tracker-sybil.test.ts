/**
 * One address announcing one torrent from many ports (or with many peer ids) holds at most
 * `maxEntriesPerIpPerTorrent` entries of it, so no reply lists more of that address than that
 * (docs/tracker.md). Before, 500 ports of one address were 500 entries and filled the replies.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { PeerTable } from '../../src/tracker/peer-table.js';
import { TRACKER_DEFAULTS, TrackerCore } from '../../src/tracker/server-core.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import { decodeReply, encodeAnnounce, encodeConnect } from '../../src/tracker/udp-codec.js';
import { UdpTrackerServer } from '../../src/tracker/udp-server.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';

const HASH = new Uint8Array(20).fill(7);
const req = (port: number, o: Partial<AnnounceRequest> = {}): AnnounceRequest => ({ infoHash: HASH, peerId: Uint8Array.from({ length: 20 }, (_, i) => (port + i) & 0xff), port, uploaded: 0, downloaded: 0, left: 100, event: 'started', numwant: 200, ...o });
const max = TRACKER_DEFAULTS.maxEntriesPerIpPerTorrent;

describe('tracker: entries per address per torrent', () => {
  it(`stores at most ${max} ports of one address in a torrent; its other ports are answered, not stored`, () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(11) });
    for (let i = 1; i <= 20; i++) core.announce(req(6881, { peerId: new Uint8Array(20).fill(i) }), '10.1.0.' + i);
    for (let port = 10_000; port < 10_500; port++) assert.ok(core.announce(req(port), '10.9.9.9').ok);
    assert.equal(core.stats().peers, 20 + max);
    for (let i = 0; i < 20; i++) {
      const out = core.announce(req(6881, { event: 'none' }), '10.1.0.1');
      assert.ok(out.ok);
      const fromSybil = out.response.peers.filter((p) => p.host === '10.9.9.9').length;
      assert.ok(fromSybil <= max, `${fromSybil} entries of one address in a reply`);
      assert.equal(out.response.peers.length, 19 + max);
    }
    // The same address in another torrent is counted there.
    assert.ok(core.announce(req(10_000, { infoHash: new Uint8Array(20).fill(8) }), '10.9.9.9').ok);
    assert.equal(core.stats().peers, 20 + max + 1);
  });

  it('counts an IPv6 /64 as one address, and many peer ids from one address and port as one entry', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(12) });
    for (let i = 1; i <= 300; i++) core.announce(req(7000, { peerId: Uint8Array.from({ length: 20 }, () => i) }), '10.9.9.9');
    assert.equal(core.stats().peers, 1, 'a peer is its address and port, whatever its peer id');
    for (let i = 1; i <= 100; i++) core.announce(req(6881), `2001:db8:1:2::${i.toString(16)}`);
    core.announce(req(6881), '2001:db8:1:3::1');
    assert.equal(core.stats().peers, 1 + max + 1);
  });

  it('gives an entry back on stopped: the address may announce another port', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(13), maxEntriesPerIpPerTorrent: 2 });
    core.announce(req(1), '10.9.9.9');
    core.announce(req(2), '10.9.9.9');
    core.announce(req(3), '10.9.9.9');
    assert.equal(core.stats().peers, 2);
    core.announce(req(1, { event: 'stopped' }), '10.9.9.9');
    core.announce(req(3), '10.9.9.9');
    assert.equal(core.scrape([HASH])[0].incomplete, 2);
  });

  it('counts a source through the index of a large table, across inserts, removals and moves', () => {
    const t = new PeerTable(6, 99);
    const e = (a: number, port: number) => Uint8Array.of(10, 0, a >> 8, a & 0xff, port >> 8, port & 0xff);
    for (let a = 0; a < 1000; a++) for (let port = 1; port <= 3; port++) t.insert(e(a, port), 0, port === 3, 0);
    for (let a = 0; a < 1000; a += 2) t.removeAt(t.find(e(a, 2), 0));
    for (let a = 0; a < 1000; a++) assert.equal(t.countSource(e(a, 9), 0, 100), a % 2 === 0 ? 2 : 3);
    assert.equal(t.countSource(e(5, 9), 0, 2), 2, 'stops at max');
    assert.equal(t.countSource(e(2000, 1), 0, 100), 0);
  });
});

describe('UDP tracker: entries per address per torrent', () => {
  it('stores and lists at most the cap of one address announcing over UDP from many ports', () => {
    const clock = new FakeClock();
    const endpoint = new FakeUdpEndpoint({ host: '127.0.0.1', port: 6969 }, clock);
    const core = new TrackerCore({ clock, random: createRandom(14) });
    new UdpTrackerServer({ core, endpoint, clock, random: createRandom(15) });
    const connect = (from: { host: string; port: number }): bigint => {
      endpoint.deliver(encodeConnect(1), from);
      const r = decodeReply(endpoint.sent.at(-1)!.data);
      assert.equal(r.action, 'connect');
      return r.action === 'connect' ? r.connectionId : 0n;
    };
    const sybil = { host: '10.9.9.9', port: 40000 };
    const cid = connect(sybil);
    for (let port = 10_000; port < 10_200; port++) endpoint.deliver(encodeAnnounce(cid, port, req(port)), sybil);
    const honest = { host: '10.1.1.1', port: 40001 };
    endpoint.deliver(encodeAnnounce(connect(honest), 1, req(6881)), honest);
    const r = decodeReply(endpoint.sent.at(-1)!.data);
    assert.ok(r.action === 'announce');
    assert.equal(r.response.peers.filter((p) => p.host === '10.9.9.9').length, max);
    assert.equal(core.stats().peers, max + 1);
  });
});
