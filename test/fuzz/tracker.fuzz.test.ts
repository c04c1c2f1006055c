/**
 * Fuzzing the tracker codecs and servers with a fixed seed. Parsers may only raise
 * `TrackerProtocolError` / `TrackerFailure`; the HTTP and UDP servers fed garbage keep
 * serving, and a valid announce afterwards still works.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { encode } from '../../src/bencode/index.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { TrackerFailure, TrackerProtocolError } from '../../src/tracker/errors.js';
import { httpAnnounce } from '../../src/tracker/http-client.js';
import { encodeAnnounceReply, httpQueryToAnnounce, parseAnnounceReply, parseQuery, parseScrapeReply } from '../../src/tracker/http-codec.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import { UdpTrackerClient } from '../../src/tracker/udp-client.js';
import * as udp from '../../src/tracker/udp-codec.js';

const SEED = 20261125;
const remote = (e: unknown) => e instanceof TrackerProtocolError || e instanceof TrackerFailure;
const only = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (!remote(e)) throw e;
  }
};
const valid = encodeAnnounceReply({ interval: 60, minInterval: 30, complete: 1, incomplete: 2, peers: [{ host: '1.2.3.4', port: 5 }, { host: '::1', port: 6 }] }, true);
const mutate = (base: Uint8Array) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((edits) => {
    const b = Uint8Array.from(base);
    for (const [i, v] of edits) b[i % b.length] = v;
    return b;
  });

describe('tracker fuzz: parsers', () => {
  it('HTTP reply parsers raise only remote errors', () => {
    const bencoded = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.uint8Array({ maxLength: 40 }), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('interval', 'peers', 'peers6', 'failure reason', 'files', 'min interval', 'ip', 'port', 'complete', 'x'), tie('v'), { maxKeys: 5 })),
    })).v;
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutate(valid), bencoded.map((v) => encode(v as Parameters<typeof encode>[0]))), (b) => {
      only(() => parseAnnounceReply(b));
      only(() => parseScrapeReply(b));
    }), { seed: SEED, numRuns: 3000 });
  });
  it('HTTP query parser raises only remote errors', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => only(() => httpQueryToAnnounce(parseQuery(s)))), { seed: SEED, numRuns: 3000 });
  });
  it('UDP decoders raise only remote errors', () => {
    const ann = udp.encodeAnnounce(1n, 2, { infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 1, uploaded: 0, downloaded: 0, left: 0, event: 'none' });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutate(ann), mutate(udp.encodeConnect(1))), fc.boolean(), (b, v6) => {
      only(() => udp.decodeRequest(b));
      only(() => udp.decodeReply(b, v6));
    }), { seed: SEED, numRuns: 5000 });
  });
});

describe('tracker fuzz: servers keep serving', () => {
  it('garbage over HTTP and UDP, then a valid announce over both still works', async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, udp: { host: '127.0.0.1', port: 0 } });
    try {
      const hp = server.http?.address.port ?? 0;
      const up = server.udp?.address.port ?? 0;
      const sock = await runtime.udp.bind({ host: '127.0.0.1', port: 0 });
      const rnd = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutate(udp.encodeConnect(5)), mutate(udp.encodeAnnounce(0n, 1, { infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 1, uploaded: 0, downloaded: 0, left: 0, event: 'started' }))), { seed: SEED, numRuns: 2000 });
      for (const b of rnd) sock.send(b, { host: '127.0.0.1', port: up });
      const paths = fc.sample(fc.oneof(fc.string({ maxLength: 200 }).map((s) => '/announce?' + s), fc.string({ maxLength: 60 }).map((s) => '/' + encodeURI(s)), fc.constant('/scrape?info_hash=%zz'), fc.constant('/announce?info_hash=' + '%41'.repeat(20) + '&peer_id=' + '%42'.repeat(20) + '&port=-1')), { seed: SEED, numRuns: 300 });
      for (const p of paths) {
        const res = await fetch(`http://127.0.0.1:${hp}${p.replace(/[^\x21-\x7e]/g, '%20')}`).catch(() => undefined);
        if (res) await res.arrayBuffer();
      }
      // Raw garbage that is not even HTTP.
      const raws = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { seed: SEED, numRuns: 30 });
      for (const b of raws) {
        await new Promise<void>((resolve) => {
          const c = connect(hp, '127.0.0.1', () => c.end(Buffer.concat([Buffer.from('GET /announce?'), b, Buffer.from('\r\n\r\n')])));
          c.on('error', () => resolve());
          c.on('close', () => resolve());
          c.resume();
        });
      }
      const req: AnnounceRequest = { infoHash: new Uint8Array(20).fill(7), peerId: new Uint8Array(20).fill(8), port: 4000, uploaded: 0, downloaded: 0, left: 1, event: 'started' };
      const r1 = await httpAnnounce(`http://127.0.0.1:${hp}/announce`, req, { clock: runtime.clock, http: runtime.http });
      assert.ok(r1.interval > 0);
      const client = new UdpTrackerClient({ endpoint: await runtime.udp.bind({ host: '127.0.0.1', port: 0 }), clock: runtime.clock, random: runtime.random, baseTimeoutMs: 1000, maxRetries: 1 });
      const r2 = await client.announce(`udp://127.0.0.1:${up}`, { ...req, peerId: new Uint8Array(20).fill(9), port: 4001 });
      assert.deepEqual(r2.peers, [{ host: '127.0.0.1', port: 4000 }]);
      assert.ok((server.udp?.errors ?? 0) > 100, 'garbage was seen and rejected');
      client.close();
      sock.close();
    } finally {
      await server.close();
      runtime.close();
    }
  });
});
