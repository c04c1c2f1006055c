/**
 * The PortMapper state machine on a hand-driven clock against a fake gateway: exact retry
 * times, PCP and NAT-PMP, fallback, renewal at half the lease, deletion on stop, and the
 * limits a hostile gateway could push on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortMapper, type PortMapperEvent, type PortMapperOptions } from '../../src/nat/index.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { FakeClock, FakeUdpEndpoint, type SentDatagram } from '../helpers/fake-clock.js';

const GW = '10.1.0.1';
const ME = '10.1.0.20';
const GW_ADDR = { host: GW, port: 5351 };
const EXT = '172.16.9.9';

interface Decoded {
  readonly version: number;
  readonly opcode: number;
  readonly protocol?: 'tcp' | 'udp';
  readonly internalPort?: number;
  readonly suggestedPort?: number;
  readonly lifetime?: number;
  readonly nonce?: Uint8Array;
}

/** Reads back what the mapper sent (the fake gateway's side of the codecs). */
function decodeRequest(b: Uint8Array): Decoded {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] === 0) {
    if (b[1] === 0) return { version: 0, opcode: 0 };
    return { version: 0, opcode: b[1], protocol: b[1] === 1 ? 'udp' : 'tcp', internalPort: v.getUint16(4), suggestedPort: v.getUint16(6), lifetime: v.getUint32(8) };
  }
  return {
    version: b[0], opcode: b[1], lifetime: v.getUint32(4), nonce: b.slice(24, 36),
    protocol: b[36] === 6 ? 'tcp' : 'udp', internalPort: v.getUint16(40), suggestedPort: v.getUint16(42),
  };
}

function natpmpMapResponse(r: Decoded, epoch: number, externalPort: number, lifetime: number, result = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  b[1] = 128 + r.opcode;
  v.setUint16(2, result);
  v.setUint32(4, epoch);
  v.setUint16(8, r.internalPort ?? 0);
  v.setUint16(10, externalPort);
  v.setUint32(12, lifetime);
  return b;
}

function natpmpExternalResponse(epoch: number, ip: string): Uint8Array {
  const b = new Uint8Array(12);
  new DataView(b.buffer).setUint32(4, epoch);
  b[1] = 128;
  b.set(ip.split('.').map(Number), 8);
  return b;
}

function pcpMapResponse(r: Decoded, epoch: number, externalPort: number, lifetime: number, result = 0): Uint8Array {
  const b = new Uint8Array(60);
  const v = new DataView(b.buffer);
  b[0] = 2;
  b[1] = 0x81;
  b[3] = result;
  v.setUint32(4, lifetime);
  v.setUint32(8, epoch);
  b.set(r.nonce ?? new Uint8Array(12), 24);
  b[36] = r.protocol === 'tcp' ? 6 : 17;
  v.setUint16(40, r.internalPort ?? 0);
  v.setUint16(42, externalPort);
  b[54] = 0xff;
  b[55] = 0xff;
  b.set(EXT.split('.').map(Number), 56);
  return b;
}

function setup(extra: Partial<PortMapperOptions> = {}) {
  const clock = new FakeClock();
  const socket = new FakeUdpEndpoint({ host: '0.0.0.0', port: 40000 }, clock);
  const events: PortMapperEvent[] = [];
  const mapper = new PortMapper({
    clock,
    random: new SeededRandom(7),
    socket,
    gateway: GW,
    clientAddress: ME,
    mappings: [{ protocol: 'tcp', internalPort: 6881 }, { protocol: 'udp', internalPort: 6881 }],
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { clock, socket, mapper, events };
}

/** A gateway that answers every request after `delay` ms (0: at once, synchronously). */
function answer(socket: FakeUdpEndpoint, reply: (r: Decoded, d: SentDatagram) => Uint8Array | undefined): void {
  socket.onSend = (d) => {
    const out = reply(decodeRequest(d.data), d);
    if (out) socket.deliver(out, GW_ADDR);
  };
}

describe('PortMapper', () => {
  it('retries after 250 ms, doubling, 9 sends in all, then turns unavailable quietly and tries again later', () => {
    const { clock, socket, mapper, events } = setup({ retryAfterMs: 600_000 });
    mapper.start();
    clock.advance(127_749);
    assert.deepEqual(socket.sent.map((d) => d.at), [0, 250, 750, 1750, 3750, 7750, 15750, 31750, 63750]);
    assert.ok(socket.sent.every((d) => d.to.host === GW && d.to.port === 5351));
    assert.ok(mapper.mappings().every((m) => m.status === 'pending'));
    clock.advance(1);
    assert.ok(mapper.mappings().every((m) => m.status === 'unavailable' && /no answer/.test(m.reason ?? '')));
    assert.equal(events.filter((e) => e.type === 'unavailable').length, 1);
    clock.advance(600_000 - 1);
    assert.equal(socket.sent.length, 9);
    clock.advance(1);
    assert.equal(socket.sent.length, 10, 'the whole round starts again after retryAfterMs');
    assert.equal(socket.sent[9].at, 127_750 + 600_000);
  });

  it('maps over PCP, reports the external address and renews at half the granted lease with the same nonce', () => {
    const { clock, socket, mapper, events } = setup({ lifetimeSeconds: 600 });
    answer(socket, (r) => (r.lifetime === 0 ? undefined : pcpMapResponse(r, 1000 + Math.floor(clock.now() / 1000), 50_000 + (r.protocol === 'tcp' ? 1 : 2), 600)));
    mapper.start();
    const states = mapper.mappings();
    assert.deepEqual(states.map((m) => [m.status, m.via, m.externalAddress, m.externalPort, m.expiresAt]), [
      ['mapped', 'pcp', EXT, 50_001, 600_000],
      ['mapped', 'pcp', EXT, 50_002, 600_000],
    ]);
    assert.equal(mapper.externalAddress(), EXT);
    assert.deepEqual(events.filter((e) => e.type === 'external-address'), [{ type: 'external-address', address: EXT }]);
    const first = socket.sent.map((d) => decodeRequest(d.data));
    assert.equal(first.length, 2);
    assert.ok(first.every((r) => r.version === 2 && r.lifetime === 600));
    clock.advance(299_999);
    assert.equal(socket.sent.length, 2);
    clock.advance(1);
    assert.equal(socket.sent.length, 4, 'both leases renewed at 300 s');
    const renew = socket.sent.slice(2).map((d) => decodeRequest(d.data));
    assert.deepEqual(renew.map((r) => r.suggestedPort), [50_001, 50_002], 'a renewal asks for the port it holds');
    assert.deepEqual(renew[0].nonce, first[0].nonce);
    assert.equal(mapper.mappings()[0].expiresAt, 900_000);
  });

  it('falls back to NAT-PMP when the gateway answers PCP with version 0 UNSUPP_VERSION', () => {
    const { socket, mapper } = setup();
    answer(socket, (r) => {
      if (r.version === 2) return Uint8Array.of(0, 129, 0, 1, 0, 0, 0, 9); // RFC 6886 §3.5: version not supported
      if (r.opcode === 0) return natpmpExternalResponse(10, EXT);
      return natpmpMapResponse(r, 10, r.internalPort ?? 0, 7200);
    });
    mapper.start();
    assert.equal(mapper.protocol(), 'natpmp');
    assert.deepEqual(mapper.mappings().map((m) => [m.status, m.via, m.externalAddress, m.externalPort]), [
      ['mapped', 'natpmp', EXT, 6881],
      ['mapped', 'natpmp', EXT, 6881],
    ]);
    assert.deepEqual(socket.sent.map((d) => decodeRequest(d.data)).map((r) => `${r.version}/${r.opcode}`), ['2/1', '0/0', '0/2', '0/1']);
  });

  it('uses NAT-PMP only when our own address is unknown', () => {
    const { socket, mapper } = setup({ clientAddress: undefined });
    mapper.start();
    assert.deepEqual(Array.from(socket.sent[0].data), [0, 0]);
  });

  it('deletes every mapping with lifetime 0 on stop and cancels its timers', async () => {
    const { clock, socket, mapper } = setup({ clientAddress: undefined });
    answer(socket, (r) => (r.opcode === 0 ? natpmpExternalResponse(1, EXT) : natpmpMapResponse(r, 1, r.lifetime === 0 ? 0 : 7000, r.lifetime ?? 0)));
    mapper.start();
    assert.ok(mapper.mappings().every((m) => m.status === 'mapped'));
    await mapper.stop();
    const deletes = socket.sent.slice(3).map((d) => decodeRequest(d.data));
    assert.deepEqual(deletes.map((r) => [r.protocol, r.internalPort, r.suggestedPort, r.lifetime]), [['tcp', 6881, 0, 0], ['udp', 6881, 0, 0]]);
    assert.ok(mapper.mappings().every((m) => m.status === 'removed'));
    assert.equal(clock.pending(), 0, 'no renewal or retry timer outlives stop()');
  });

  it('gives up a delete after stopAttempts sends when the gateway went quiet, and still resolves', async () => {
    const { clock, socket, mapper } = setup({ stopAttempts: 3 });
    let quiet = false;
    answer(socket, (r) => (quiet ? undefined : pcpMapResponse(r, 1, 7000, 7200)));
    mapper.start();
    quiet = true;
    const done = mapper.stop();
    clock.advance(10_000);
    await done;
    // TCP's delete at 0, 250, 750 ms, given up at 1750; then UDP's at 1750, 2000, 2500.
    assert.deepEqual(socket.sent.slice(2).map((d) => d.at), [0, 250, 750, 1750, 2000, 2500]);
    assert.ok(socket.sent.slice(2).every((d) => decodeRequest(d.data).lifetime === 0));
    assert.ok(mapper.mappings().every((m) => m.status === 'failed' && /lease runs out/.test(m.reason ?? '')));
  });

  it('ignores answers from anyone but the gateway port 5351, malformed ones and a wrong nonce', () => {
    const { socket, mapper } = setup();
    let forged: Uint8Array | undefined;
    socket.onSend = (d) => {
      const r = decodeRequest(d.data);
      forged = pcpMapResponse(r, 1, 1234, 7200);
      socket.deliver(forged, { host: '10.1.0.66', port: 5351 });
      socket.deliver(forged, { host: GW, port: 5350 });
      socket.deliver(forged.subarray(0, 30), GW_ADDR);
      socket.deliver(new Uint8Array(5000), GW_ADDR);
      const wrongNonce = pcpMapResponse({ ...r, nonce: new Uint8Array(12).fill(9) }, 1, 1234, 7200);
      socket.deliver(wrongNonce, GW_ADDR);
    };
    mapper.start();
    assert.ok(mapper.mappings().every((m) => m.status === 'pending'));
    assert.ok(forged);
  });

  it('marks a refused mapping failed with the reason and asks again after retryAfterMs', () => {
    const { clock, socket, mapper } = setup({ retryAfterMs: 60_000, mappings: [{ protocol: 'tcp', internalPort: 80 }] });
    let refuse = true;
    answer(socket, (r) => pcpMapResponse(r, 1, refuse ? 0 : 8080, refuse ? 0 : 7200, refuse ? 2 : 0));
    mapper.start();
    assert.equal(mapper.mappings()[0].status, 'failed');
    assert.match(mapper.mappings()[0].reason ?? '', /not authorized/);
    refuse = false;
    clock.advance(60_000);
    assert.equal(mapper.mappings()[0].status, 'mapped');
    assert.equal(mapper.mappings()[0].externalPort, 8080);
  });

  it('re-makes every mapping when the gateway epoch shows it restarted', () => {
    const { clock, socket, mapper } = setup({ maxRenewIntervalMs: 100_000_000 });
    let epochBase = 5000;
    // TCP gets a 2 h lease (renewed at 1 h), UDP a 20 h one (renewed at 10 h).
    answer(socket, (r) => pcpMapResponse(r, epochBase + Math.floor(clock.now() / 1000), 7000, r.protocol === 'tcp' ? 7200 : 72_000));
    mapper.start();
    assert.equal(socket.sent.length, 2);
    epochBase = 10 - 3600; // the gateway restarted 10 s before TCP's renewal: epoch 10 at 1 h
    clock.advance(3_600_000);
    // TCP's renewal sees the epoch go back, so UDP is made again at once, not at 10 h.
    assert.deepEqual(socket.sent.map((d) => [d.at, decodeRequest(d.data).protocol]), [
      [0, 'tcp'], [0, 'udp'], [3_600_000, 'tcp'], [3_600_000, 'udp'],
    ]);
    assert.equal(mapper.mappings()[1].expiresAt, 3_600_000 + 72_000_000);
  });

  it('does not re-make mappings while the epoch moves on normally', () => {
    const { clock, socket, mapper } = setup({ maxRenewIntervalMs: 100_000_000 });
    answer(socket, (r) => pcpMapResponse(r, 5000 + Math.floor(clock.now() / 1000), 7000, r.protocol === 'tcp' ? 7200 : 72_000));
    mapper.start();
    clock.advance(3_600_000);
    assert.deepEqual(socket.sent.map((d) => decodeRequest(d.data).protocol), ['tcp', 'udp', 'tcp']);
  });

  it('renews no sooner than minRenewIntervalMs however short a lease the gateway grants', () => {
    const { clock, socket, mapper } = setup({ minRenewIntervalMs: 30_000, mappings: [{ protocol: 'udp', internalPort: 6881 }] });
    answer(socket, (r) => pcpMapResponse(r, 1 + Math.floor(clock.now() / 1000), 6881, 1));
    mapper.start();
    clock.advance(120_000);
    assert.deepEqual(socket.sent.map((d) => d.at), [0, 30_000, 60_000, 90_000, 120_000]);
  });

  it('caps the renewal interval at maxRenewIntervalMs for a very long lease', () => {
    const { clock, socket, mapper } = setup({ maxRenewIntervalMs: 3_600_000, mappings: [{ protocol: 'udp', internalPort: 6881 }] });
    answer(socket, (r) => pcpMapResponse(r, 1 + Math.floor(clock.now() / 1000), 6881, 0xffffffff));
    mapper.start();
    clock.advance(3_600_000);
    assert.deepEqual(socket.sent.map((d) => d.at), [0, 3_600_000]);
  });
});
