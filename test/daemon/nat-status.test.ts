/**
 * The daemon shows what the session's external-address vote knows (docs/nat.md): GET
 * /api/stats `nat` keeps the router's mapping fields and adds the voted address, the NAT
 * type, the votes by source and hole punching; trackers' `external ip` and the router's
 * mapping vote, and the router's vote goes when the mapping does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonService } from '../../src/daemon/service/service.js';
import { DaemonPortMapping } from '../../src/daemon/service/port-mapping.js';
import { onAnnouncerEvent } from '../../src/daemon/service/trackers.js';
import type { RunContext } from '../../src/daemon/service/runner.js';
import type { TorrentEntry } from '../../src/daemon/service/torrent-entry.js';
import type { NatInfo } from '../../src/daemon/types.js';
import type { NodeRuntime } from '../../src/runtime/node/index.js';
import { SeededRandom } from '../../src/runtime/random.js';
import type { Runtime } from '../../src/runtime/types.js';
import type { AnnouncerEvent } from '../../src/tracker/announcer.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';
import { startHarnessFor, type Harness } from './http-harness.js';
import { startService } from './service-helpers.js';

describe('daemon NAT status from the external-address vote', () => {
  let dir = '';
  let service: DaemonService;
  let runtime: NodeRuntime;
  let h: Harness<DaemonService>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-nat-status-'));
    ({ service, runtime } = await startService(join(dir, 'state'), join(dir, 'dl')));
    h = await startHarnessFor(service);
  });

  after(async () => {
    await h.close();
    await service.close();
    runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const nat = async (): Promise<NatInfo> => ((await h.request('GET', '/api/stats')).json() as { nat: NatInfo }).nat;

  it('shows unknown with no votes, beside the port mapping fields', async () => {
    const n = await nat();
    assert.equal(n.externalAddress, null);
    assert.deepEqual(n.mappings.map((m) => m.state), ['off', 'off'], 'a daemon on loopback maps nothing');
    assert.equal(n.votedAddress, null);
    assert.equal(n.natType, 'unknown');
    assert.deepEqual(n.votes, { peer: 0, dht: 0, tracker: 0, portMapping: 0 });
    assert.equal(n.holepunch, 'relay-only', 'this service runs TCP only: it can relay a rendezvous but not punch');
  });

  it('turns cone when three DHT nodes saw one port, then symmetric when more saw others', async () => {
    const session = service.client.session;
    for (const reporter of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) session.voteExternalAddress({ source: 'dht', reporter, host: '10.88.1.1', port: 6881, localPort: 40000 });
    let n = await nat();
    assert.equal(n.votedAddress, '10.88.1.1');
    assert.equal(n.natType, 'cone');
    assert.deepEqual(n.votes, { peer: 0, dht: 3, tracker: 0, portMapping: 0 });
    for (const [i, reporter] of ['10.0.0.1', '10.0.0.2', '10.0.0.3'].entries()) session.voteExternalAddress({ source: 'dht', reporter, host: '10.88.1.1', port: 20000 + i, localPort: 40000 });
    n = await nat();
    assert.equal(n.natType, 'symmetric');
    const metrics = (await h.request('GET', '/metrics')).body.toString('utf8');
    assert.match(metrics, /^shoal_nat_type_info\{type="symmetric",holepunch="relay-only"\} 1$/m);
  });

  it('counts a tracker\'s external ip as a vote, one per tracker host', () => {
    const entry = { id: 'x', trackers: new Map() } as unknown as TorrentEntry; // only its tracker table is used
    const ctx = { client: service.client, counters: { announceSuccess: 0, announceFailure: 0, pieceHashFailures: 0 }, wallClock: () => 0, log: () => undefined } as unknown as RunContext; // what onAnnouncerEvent reads
    const announced = (url: string, externalIp: string | undefined): AnnouncerEvent => ({ type: 'announced', url, event: 'started', response: { interval: 1800, peers: [], externalIp } } as unknown as AnnouncerEvent);
    onAnnouncerEvent(ctx, entry, announced('http://10.88.1.2:8000/announce', '10.88.1.1'));
    onAnnouncerEvent(ctx, entry, announced('http://10.88.1.2:8000/announce?again', '10.88.1.1'));
    onAnnouncerEvent(ctx, entry, announced('http://10.88.1.9:8000/announce', undefined));
    assert.equal(service.stats().nat.votes.tracker, 1);
  });
});

describe('daemon port mapping votes', () => {
  it('votes with the address the router gave, and takes the vote back when the mapping stops', async () => {
    const clock = new FakeClock();
    const sockets: FakeUdpEndpoint[] = [];
    const runtime = {
      clock,
      random: new SeededRandom(5),
      udp: { bind: async () => { const s = new FakeUdpEndpoint({ host: '0.0.0.0', port: 41000 + sockets.length }, clock); sockets.push(s); return s; } },
    } as unknown as Runtime; // port mapping uses only the clock, random and udp
    const votes: string[] = [];
    const pm = new DaemonPortMapping({
      runtime, findGateway: () => ({ gateway: '10.9.0.1', interface: 'eth0', localAddress: '10.9.0.5' }), log: () => undefined,
      onMapped: (host, port, gateway) => votes.push(`${gateway} says ${host}:${port}`),
      onUnmapped: () => votes.push('unmapped'),
    });
    const flush = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    pm.sync(true, '0.0.0.0', 6881);
    await flush();
    // The gateway answers each PCP MAP (RFC 6887 §11) at once: the port kept, at 172.16.9.9.
    const pcp = sockets[0];
    pcp.onSend = (d) => {
      if (d.data[0] === 2) pcp.deliver(pcpMapAnswer(d.data, '172.16.9.9'), { host: '10.9.0.1', port: 5351 });
    };
    for (const d of pcp.sent.filter((x) => x.data[0] === 2)) pcp.deliver(pcpMapAnswer(d.data, '172.16.9.9'), { host: '10.9.0.1', port: 5351 });
    await flush();
    assert.deepEqual(votes, ['10.9.0.1 says 172.16.9.9:6881', '10.9.0.1 says 172.16.9.9:6881'], 'TCP and UDP mapped');
    pm.sync(false, '0.0.0.0', 6881);
    assert.equal(votes.at(-1), 'unmapped');
    await pm.close();
  });
});

/** A PCP MAP success answer to `request`, granting its internal port at `external`. */
function pcpMapAnswer(request: Uint8Array, external: string): Uint8Array {
  const b = new Uint8Array(60);
  const v = new DataView(b.buffer);
  const r = new DataView(request.buffer, request.byteOffset, request.byteLength);
  b[0] = 2;
  b[1] = 0x81; // MAP, response bit
  v.setUint32(4, 7200); // lifetime
  v.setUint32(8, 1); // epoch
  b.set(request.slice(24, 36), 24); // nonce
  b[36] = request[36]; // protocol
  v.setUint16(40, r.getUint16(40)); // internal port
  v.setUint16(42, r.getUint16(40)); // external port: the same
  b[54] = 0xff;
  b[55] = 0xff;
  b.set(external.split('.').map(Number), 56);
  return b;
}
