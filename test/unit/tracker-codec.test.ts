/** Tracker codecs: HTTP (BEP 3/23/7/48) and UDP (BEP 15) requests and replies, both directions. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../src/bencode/index.js';
import { decodeCompact6, encodeCompact, ipv6Bytes } from '../../src/tracker/compact.js';
import { TrackerFailure, TrackerProtocolError } from '../../src/tracker/errors.js';
import {
  buildAnnounceUrl, encodeAnnounceReply, encodeScrapeReply, httpQueryToAnnounce, parseAnnounceReply, parseQuery, parseScrapeReply, percentDecode, percentEncode, scrapeUrlFor,
} from '../../src/tracker/http-codec.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import * as udp from '../../src/tracker/udp-codec.js';

const ih = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
const pid = new TextEncoder().encode('-SH0100-abcdefghijkl');
const req: AnnounceRequest = { infoHash: ih, peerId: pid, port: 6881, uploaded: 10, downloaded: 20, left: 30, event: 'started', numwant: 40, key: 0xdeadbeef };

describe('tracker http codec', () => {
  it('percent-encodes binary and decodes it back', () => {
    assert.deepEqual(percentDecode(percentEncode(ih)), ih);
    assert.equal(percentEncode(Uint8Array.from([0x41, 0x20, 0xff])), 'A%20%FF');
  });
  it('a built announce URL parses back to the same request (one shape)', () => {
    const url = buildAnnounceUrl('http://t.example/announce?passkey=x', req);
    assert.ok(url.startsWith('http://t.example/announce?passkey=x&info_hash='));
    const back = httpQueryToAnnounce(parseQuery(url.slice(url.indexOf('?') + 1)));
    assert.deepEqual(back.infoHash, ih);
    assert.deepEqual(back.peerId, pid);
    assert.equal(back.port, 6881);
    assert.equal(back.event, 'started');
    assert.equal(back.left, 30);
    assert.equal(back.numwant, 40);
    assert.equal(back.compact, true);
  });
  it('rejects malformed announce queries with TrackerProtocolError', () => {
    for (const q of ['', 'info_hash=abc', `info_hash=${percentEncode(ih)}&peer_id=${percentEncode(pid)}`, `info_hash=${percentEncode(ih)}&peer_id=${percentEncode(pid)}&port=99999`, `info_hash=${percentEncode(ih)}&peer_id=${percentEncode(pid)}&port=1&event=bogus`]) {
      assert.throws(() => httpQueryToAnnounce(parseQuery(q)), TrackerProtocolError, q);
    }
  });
  it('parses compact (BEP 23), peers6 (BEP 7) and dictionary replies', () => {
    const compact = encode({ interval: 900, 'min interval': 60, 'tracker id': 'tid', 'warning message': 'careful', complete: 3, incomplete: 4,
      peers: Uint8Array.from([127, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 80]), peers6: encodeCompact([{ host: '2001:db8::1', port: 51413 }], 6) });
    const r = parseAnnounceReply(compact);
    assert.equal(r.interval, 900);
    assert.equal(r.minInterval, 60);
    assert.equal(r.trackerId, 'tid');
    assert.equal(r.warning, 'careful');
    assert.equal(r.complete, 3);
    assert.equal(r.incomplete, 4);
    assert.deepEqual(r.peers.map((p) => `${p.host}:${p.port}`), ['127.0.0.1:6881', '10.0.0.2:80', '2001:db8::1:51413']);
    const dict = encode({ interval: 60, peers: [{ ip: '1.2.3.4', port: 5, 'peer id': pid }, { ip: '::1', port: 7 }, { ip: 'x' }] });
    const d = parseAnnounceReply(dict);
    assert.deepEqual(d.peers.map((p) => `${p.host}:${p.port}`), ['1.2.3.4:5', '::1:7']);
    assert.deepEqual(d.peers[0].peerId, pid);
  });
  it('failure reason becomes TrackerFailure; garbage and bad sizes TrackerProtocolError', () => {
    assert.throws(() => parseAnnounceReply(encode({ 'failure reason': 'nope' })), (e: Error) => e instanceof TrackerFailure && /nope/.test(e.message));
    assert.throws(() => parseAnnounceReply(new TextEncoder().encode('<html>')), TrackerProtocolError);
    assert.throws(() => parseAnnounceReply(encode({ interval: 5, peers: new Uint8Array(7) })), TrackerProtocolError);
    assert.throws(() => parseAnnounceReply(encode({ peers: new Uint8Array(6) })), TrackerProtocolError);
    assert.throws(() => parseAnnounceReply(new Uint8Array(3 * 1024 * 1024)), TrackerProtocolError);
  });
  it('server replies round-trip through the client parser (compact and dict)', () => {
    const resp = { interval: 120, minInterval: 60, complete: 1, incomplete: 2, peers: [{ host: '1.2.3.4', port: 1000 }, { host: '2001:db8::2', port: 2000 }] };
    for (const compact of [true, false]) {
      const back = parseAnnounceReply(encodeAnnounceReply(resp, compact));
      assert.deepEqual(back.peers.map((p) => `${p.host}:${p.port}`), ['1.2.3.4:1000', '2001:db8::2:2000']);
      assert.equal(back.complete, 1);
    }
  });
  it('BEP 48 scrape URL and reply', () => {
    assert.equal(scrapeUrlFor('http://t/x/announce.php?k=1', [ih])?.startsWith('http://t/x/scrape.php?k=1&info_hash='), true);
    assert.equal(scrapeUrlFor('http://t/a', [ih]), undefined);
    const hex = Buffer.from(ih).toString('hex');
    const s = parseScrapeReply(encodeScrapeReply(new Map([[hex, { complete: 1, downloaded: 2, incomplete: 3 }]])));
    assert.deepEqual(s.get(hex), { complete: 1, downloaded: 2, incomplete: 3 });
  });
  it('IPv6 compact encoding handles ::, embedded IPv4 and full forms', () => {
    for (const h of ['::1', '2001:db8::', 'fe80::1:2:3', '2001:db8:1:2:3:4:5:6']) {
      assert.equal(decodeCompact6(encodeCompact([{ host: h, port: 1 }], 6))[0].host, h);
    }
    assert.deepEqual([...(ipv6Bytes('::ffff:1.2.3.4') ?? [])].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  });
});

describe('tracker udp codec (BEP 15)', () => {
  it('connect request/reply', () => {
    const r = udp.decodeRequest(udp.encodeConnect(77));
    assert.deepEqual(r, { action: 'connect', tid: 77 });
    assert.deepEqual(udp.decodeReply(udp.encodeConnectReply(77, 0x1122334455667788n)), { action: 'connect', tid: 77, connectionId: 0x1122334455667788n });
  });
  it('announce request is 98 bytes and decodes to the same shape', () => {
    const b = udp.encodeAnnounce(5n, 9, req);
    assert.equal(b.length, 98);
    const r = udp.decodeRequest(b);
    assert.equal(r.action, 'announce');
    if (r.action !== 'announce') return;
    assert.deepEqual([...b.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 5], 'connection id leads the packet');
    assert.deepEqual(r.request.infoHash, ih);
    assert.equal(r.request.event, 'started');
    assert.equal(r.request.numwant, 40);
    assert.equal(r.request.key, 0xdeadbeef);
    assert.equal(r.request.left, 30);
  });
  it('announce reply (IPv4 and IPv6), scrape and error', () => {
    const resp = { interval: 60, complete: 2, incomplete: 5, peers: [{ host: '9.8.7.6', port: 4321 }] };
    const a = udp.decodeReply(udp.encodeAnnounceReply(3, resp, 4));
    assert.deepEqual(a, { action: 'announce', tid: 3, response: { interval: 60, incomplete: 5, complete: 2, peers: [{ host: '9.8.7.6', port: 4321 }] } });
    const a6 = udp.decodeReply(udp.encodeAnnounceReply(3, { ...resp, peers: [{ host: '::2', port: 9 }] }, 6), true);
    assert.equal(a6.action === 'announce' && a6.response.peers[0].host, '::2');
    assert.deepEqual(udp.decodeReply(udp.encodeScrapeReply(4, [{ complete: 1, downloaded: 2, incomplete: 3 }])), { action: 'scrape', tid: 4, stats: [{ complete: 1, downloaded: 2, incomplete: 3 }] });
    assert.deepEqual(udp.decodeReply(udp.encodeErrorReply(5, 'bad')), { action: 'error', tid: 5, message: 'bad' });
  });
  it('short or unknown packets throw TrackerProtocolError', () => {
    assert.throws(() => udp.decodeRequest(new Uint8Array(15)), TrackerProtocolError);
    assert.throws(() => udp.decodeRequest(udp.encodeAnnounce(1n, 1, req).subarray(0, 97)), TrackerProtocolError);
    assert.throws(() => udp.decodeReply(new Uint8Array(4)), TrackerProtocolError);
    assert.throws(() => udp.decodeReply(Uint8Array.from([0, 0, 0, 9, 0, 0, 0, 0])), TrackerProtocolError);
  });
});
