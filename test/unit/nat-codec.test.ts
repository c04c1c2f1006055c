import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  NatProtocolError, decodeNatPmpResponse, decodePcpResponse, encodeExternalAddressRequest, encodeMapRequest,
  encodePcpMapRequest, PCP_MAX_MESSAGE_BYTES,
} from '../../src/nat/index.js';
import { parseDefaultRoutes } from '../../src/runtime/node/gateway.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('NAT-PMP codec (RFC 6886)', () => {
  it('encodes the external address request as version 0, opcode 0', () => {
    assert.deepEqual(encodeExternalAddressRequest(), hex('0000'));
  });

  it('encodes a TCP map request with ports and lifetime in network order', () => {
    const b = encodeMapRequest({ protocol: 'tcp', internalPort: 6881, suggestedExternalPort: 6882, lifetime: 7200 });
    assert.deepEqual(b, hex('00 02 0000 1ae1 1ae2 00001c20'));
    assert.equal(encodeMapRequest({ protocol: 'udp', internalPort: 1, suggestedExternalPort: 0, lifetime: 0 })[1], 1);
  });

  it('refuses to encode a port outside 0..65535', () => {
    assert.throws(() => encodeMapRequest({ protocol: 'tcp', internalPort: 65536, suggestedExternalPort: 0, lifetime: 1 }), RangeError);
  });

  it('decodes external address and map responses', () => {
    assert.deepEqual(decodeNatPmpResponse(hex('00 80 0000 00000064 0a000001')), {
      kind: 'external-address', result: 0, epoch: 100, externalAddress: '10.0.0.1',
    });
    assert.deepEqual(decodeNatPmpResponse(hex('00 82 0000 00000065 1ae1 1ae3 00000e10')), {
      kind: 'map', protocol: 'tcp', result: 0, epoch: 101, internalPort: 6881, externalPort: 6883, lifetime: 3600,
    });
  });

  it('accepts an error answer cut short after the epoch, and rejects a short success', () => {
    assert.deepEqual(decodeNatPmpResponse(hex('00 81 0001 00000001')), { kind: 'error', opcode: 1, result: 1, epoch: 1 });
    assert.throws(() => decodeNatPmpResponse(hex('00 81 0000 00000001')), NatProtocolError);
    assert.throws(() => decodeNatPmpResponse(hex('00 81 00')), NatProtocolError);
  });

  it('rejects a request echoed back and a wrong version', () => {
    assert.throws(() => decodeNatPmpResponse(hex('00 01 0000 00000001 0000 0000 00000000')), NatProtocolError);
    assert.throws(() => decodeNatPmpResponse(hex('01 81 0000 00000001 0000 0000 00000000')), NatProtocolError);
  });
});

describe('PCP codec (RFC 6887)', () => {
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

  it('encodes a MAP request: header with IPv4-mapped client address, then nonce, protocol, ports', () => {
    const b = encodePcpMapRequest({ clientAddress: '192.168.1.20', nonce, protocol: 'udp', internalPort: 6881, suggestedExternalPort: 6881, lifetime: 600 });
    assert.equal(b.length, 60);
    assert.deepEqual(b.subarray(0, 24), hex('02 01 0000 00000258 00000000000000000000ffff c0a80114'));
    assert.deepEqual(b.subarray(24, 36), nonce);
    assert.deepEqual(b.subarray(36, 40), hex('11 000000'));
    assert.deepEqual(b.subarray(40, 44), hex('1ae1 1ae1'));
    assert.deepEqual(b.subarray(44, 60), hex('00000000000000000000ffff 00000000'));
  });

  it('refuses a PCP client address that is not a strict dotted IPv4 (leading zeros, IPv6, junk)', () => {
    const nonce = new Uint8Array(12);
    for (const clientAddress of ['01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.256', '::1', ' 1.2.3.4', '0x1.2.3.4']) {
      assert.throws(() => encodePcpMapRequest({ clientAddress, nonce, protocol: 'udp', internalPort: 6881, suggestedExternalPort: 6881, lifetime: 600 }), RangeError, clientAddress);
    }
  });

  it('decodes a MAP success with its assigned address and port', () => {
    const b = new Uint8Array(60);
    b.set(hex('02 81 00 00 00000258 0000002a 000000000000000000000000'));
    b.set(nonce, 24);
    b[36] = 6;
    b.set(hex('1ae1 1f90 00000000000000000000ffff 0a0b0c0d'), 40);
    const r = decodePcpResponse(b);
    assert.equal(r.result, 0);
    assert.equal(r.lifetime, 600);
    assert.equal(r.epoch, 42);
    assert.deepEqual(r.map, { nonce, protocol: 'tcp', internalPort: 6881, externalPort: 8080, externalAddress: '10.11.12.13' });
  });

  it('decodes a bare error header, and rejects a short success, a request and an oversized message', () => {
    assert.deepEqual(decodePcpResponse(hex('02 81 00 01 00000000 00000005 000000000000000000000000')), { opcode: 1, result: 1, lifetime: 0, epoch: 5 });
    assert.throws(() => decodePcpResponse(hex('02 81 00 00 00000000 00000005 000000000000000000000000')), NatProtocolError);
    assert.throws(() => decodePcpResponse(hex('02 01 00 00 00000000 00000005 000000000000000000000000')), NatProtocolError);
    assert.throws(() => decodePcpResponse(new Uint8Array(PCP_MAX_MESSAGE_BYTES + 4).fill(2)), NatProtocolError);
  });
});

describe('default gateway from /proc/net/route', () => {
  it('picks the default route with the gateway flag, lowest metric first', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0',
    ].join('\n');
    assert.deepEqual(parseDefaultRoutes(text), [
      { gateway: '10.0.0.1', interface: 'eth0', metric: 100 },
      { gateway: '192.168.1.1', interface: 'wlan0', metric: 600 },
    ]);
    assert.deepEqual(parseDefaultRoutes('garbage\n\n1 2 3'), []);
  });
});
