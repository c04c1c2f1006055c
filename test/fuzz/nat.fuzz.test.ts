/**
 * Fuzz tests of the NAT-PMP and PCP decoders and of the PortMapper fed hostile gateway
 * datagrams. Fixed seeds: a failure replays. Decoders may only throw NatProtocolError; the
 * mapper must never throw, and whatever it accepts must be a coherent mapping.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  NatProtocolError, PortMapper, decodeNatPmpResponse, decodePcpResponse, parseDeviceDescription, parseSoapResponse, parseSsdpAnswer,
} from '../../src/nat/index.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';
import { assertMutants, assertOnly, byteMutation, mutate } from './mutations.js';

const SEED = 20261206;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const NATPMP_SEEDS = [
  hex('00 80 0000 00000064 0a000001'),
  hex('00 82 0000 00000065 1ae1 1ae3 00000e10'),
  hex('00 81 0001 00000001'),
];
const PCP_SEED = (() => {
  const b = new Uint8Array(60);
  b.set(hex('02 81 00 00 00000258 0000002a'));
  b[36] = 6;
  b.set(hex('1ae1 1f90 00000000000000000000ffff 0a0b0c0d'), 40);
  return b;
})();
const mutation = byteMutation({ splice: fc.uint8Array({ maxLength: 40 }), maxDuplicate: 24, set: [0, 1, 2, 0x80, 0x81, 0x82, 0xff] });

function decodeEither(b: Uint8Array): void {
  for (const decode of [decodeNatPmpResponse, decodePcpResponse]) {
    try {
      decode(b);
    } catch (e) {
      assertOnly(e, NatProtocolError, () => Buffer.from(b).toString('hex'));
    }
  }
}

describe('NAT-PMP / PCP decoders under fuzzing', () => {
  it('throw only NatProtocolError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), decodeEither), { seed: SEED, numRuns: 3000 });
  });

  it('throw only NatProtocolError on mutants of valid responses', () => {
    for (const input of [...NATPMP_SEEDS, PCP_SEED]) {
      assertMutants(input, mutation, (m) => decodeEither(m), { seed: SEED, numRuns: 1500 });
    }
  });
});

describe('PortMapper fed hostile gateway datagrams', () => {
  it('never throws, and anything it reports as mapped is a coherent mapping', () => {
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 1200 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce(mutate, PCP_SEED)),
      fc.constantFrom(...NATPMP_SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 2 }).map((ms) => ms.reduce(mutate, NATPMP_SEEDS[1])),
    );
    let mappedSeen = 0;
    // Without our address the mapper speaks NAT-PMP, whose answers carry no nonce, so mutants of a
    // valid map response do get accepted there.
    fc.assert(fc.property(fc.boolean(), fc.array(fc.tuple(datagram, fc.integer({ min: 0, max: 2000 })), { maxLength: 20 }), (pcp, script) => {
      const clock = new FakeClock();
      const socket = new FakeUdpEndpoint({ host: '0.0.0.0', port: 1 }, clock);
      const mapper = new PortMapper({
        clock, random: new SeededRandom(1), socket, gateway: '10.9.0.1', clientAddress: pcp ? '10.9.0.2' : undefined,
        mappings: [{ protocol: 'tcp', internalPort: 6881 }, { protocol: 'udp', internalPort: 6881 }],
      });
      mapper.start();
      for (const [data, wait] of script) {
        socket.deliver(data, { host: '10.9.0.1', port: 5351 });
        clock.advance(wait);
      }
      for (const m of mapper.mappings()) {
        if (m.status !== 'mapped') continue;
        mappedSeen++;
        assert.ok(m.externalPort !== undefined && m.externalPort > 0 && m.externalPort <= 0xffff);
        assert.ok(m.expiresAt !== undefined && m.expiresAt > 0);
      }
      assert.ok(socket.sent.length <= 1 + 9 * 4, 'sends stay bounded by the retry schedule');
    }), { seed: SEED, numRuns: 400 });
    assert.ok(mappedSeen > 0, 'some runs reach the mapped state, so its checks ran');
  });
});

describe('UPnP parsers under fuzzing', () => {
  const LOCATION = 'http://10.9.0.1:5000/rootDesc.xml';
  const SSDP = new TextEncoder().encode(`HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: ${LOCATION}\r\n\r\n`);
  const DESC = '<root><URLBase>http://10.9.0.1:5000/</URLBase><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>'
    + '<controlURL>/ctl/IPConn</controlURL></service></serviceList></device></root>';
  const SOAP = '<s:Envelope><s:Body><u:GetExternalIPAddressResponse><NewExternalIPAddress>10.9.9.9</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>';
  const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

  function checkAll(b: Uint8Array): void {
    for (const f of [() => parseSsdpAnswer(b), () => parseDeviceDescription(text(b), LOCATION), () => parseSoapResponse(text(b))]) {
      try {
        f();
      } catch (e) {
        assertOnly(e, NatProtocolError, () => text(b));
      }
    }
  }

  it('throw only NatProtocolError on mutants of valid input', () => {
    const xmlish = byteMutation({ splice: fc.constantFrom(...['<service>', '</service>', '<controlURL>', '</controlURL>', '<s:Fault>', '<errorCode>', '&amp;', 'http://', '\r\n'].map((s) => new TextEncoder().encode(s))), maxDuplicate: 64 });
    for (const input of [SSDP, new TextEncoder().encode(DESC), new TextEncoder().encode(SOAP)]) {
      assertMutants(input, xmlish, (m) => checkAll(m), { seed: SEED, numRuns: 800 });
    }
  });

  it('a description of only unclosed openings is read in one pass (the test timeout bounds it)', () => {
    const hostile = '<service '.repeat(7000) + '</service>'.repeat(10);
    assert.throws(() => parseDeviceDescription(hostile.slice(0, 64 * 1024), LOCATION), NatProtocolError);
  });
});
