/**
 * The UDP tracker client over IPv6 (BEP 15 + BEP 7) against `shoal tracker --udp [::1]:port`:
 * two peers announce to udp://[::1]:port and the second is listed the first at ::1; the raw
 * announce reply carries 18-byte peers; scrape counts both. (Debian's opentracker is built
 * IPv4-only — "V4 Tracker is V4 only!" — so it is not driven over IPv6 here.)
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { TrackerClient } from '../../src/tracker/announcer.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import * as udpc from '../../src/tracker/udp-codec.js';
import { CLI_PATH } from './helpers.js';

const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

const hasIpv6Loopback = await new Promise<boolean>((resolve) => {
  const s = createSocket('udp6');
  s.once('error', () => resolve(false));
  s.bind(0, '::1', () => s.close(() => resolve(true)));
});

async function startTracker(): Promise<{ url: string; port: number }> {
  const child = spawn(process.execPath, [CLI_PATH, 'tracker', '--udp', '[::1]:0', '--interval', '60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('udp tracker on') && resolve(l));
    child.on('exit', (c) => reject(new Error(`shoal tracker exited ${c}`)));
  });
  const m = /udp:\/\/\[::1\]:(\d+)/.exec(line);
  assert.ok(m, line);
  return { url: `udp://[::1]:${m[1]}/announce`, port: Number(m[1]) };
}

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
const req = (n: number, left: number): AnnounceRequest => ({ infoHash, peerId: new Uint8Array(20).fill(n), port: 7000 + n, uploaded: 0, downloaded: 0, left, event: 'started' });

describe('UDP tracker client over IPv6', { skip: hasIpv6Loopback ? false : 'no IPv6 loopback' }, () => {
  it('announces and scrapes over udp://[::1]: peers come back as IPv6 (18 bytes each)', async () => {
    const t = await startTracker();
    const runtime = createNodeRuntime();
    const client = new TrackerClient({ clock: runtime.clock, random: runtime.random, udp: runtime.udp, http: runtime.http, udpBaseTimeoutMs: 1000, udpMaxRetries: 2 });
    try {
      const first = await client.announce(t.url, req(1, 0));
      assert.deepEqual(first.peers, []);
      const second = await client.announce(t.url, req(2, 1000));
      assert.deepEqual(second.peers, [{ host: '::1', port: 7001 }]);
      assert.deepEqual([second.complete, second.incomplete], [1, 1]);
      const s = await client.scrape(t.url, [infoHash]);
      assert.deepEqual(s.get(Buffer.from(infoHash).toString('hex')), { complete: 1, downloaded: 0, incomplete: 1 });

      // The raw reply: 20-byte header, then one 18-byte entry per peer (BEP 15 over IPv6).
      const sock = createSocket('udp6');
      await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
      const next = (): Promise<Buffer> => new Promise((r) => sock.once('message', (m: Buffer) => r(m)));
      let reply = next();
      sock.send(udpc.encodeConnect(1), t.port, '::1');
      const cid = (await reply).readBigUInt64BE(8);
      reply = next();
      sock.send(udpc.encodeAnnounce(cid, 2, req(3, 1000)), t.port, '::1');
      const raw = await reply;
      sock.close();
      assert.equal(raw.readUInt32BE(0), udpc.ACTION_ANNOUNCE);
      assert.equal(raw.length, 20 + 2 * 18, 'two other peers, 18 bytes each');
      const ports = [raw.readUInt16BE(20 + 16), raw.readUInt16BE(20 + 18 + 16)].sort();
      assert.deepEqual(ports, [7001, 7002]);
      assert.deepEqual([...raw.subarray(20, 36)], [...new Uint8Array(15), 1], 'address ::1');
    } finally {
      client.close();
      runtime.close();
    }
  });
});
