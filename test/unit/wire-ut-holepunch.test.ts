import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { decodeHolepunch, encodeHolepunch, type HolepunchMessage } from '../../src/wire/ut-holepunch.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ut_holepunch codec (BEP 55)', () => {
  it('writes a rendezvous for an IPv4 endpoint as msg_type, addr_type, addr, port and a zero err_code', () => {
    const b = encodeHolepunch({ type: 'rendezvous', address: { host: '10.1.2.3', port: 6881 } });
    assert.equal(toHex(b), '00' + '00' + '0a010203' + '1ae1' + '00000000');
  });

  it('writes a connect for an IPv6 endpoint with addr_type 1 and 16 address bytes', () => {
    const b = encodeHolepunch({ type: 'connect', address: { host: 'fd00::5', port: 51413 } });
    assert.equal(toHex(b), '01' + '01' + 'fd000000000000000000000000000005' + 'c8d5' + '00000000');
  });

  it('writes each error code by name (NoSuchPeer 1 .. NoSelf 4)', () => {
    const codes = { NoSuchPeer: 1, NotConnected: 2, NoSupport: 3, NoSelf: 4 } as const;
    for (const [name, code] of Object.entries(codes)) {
      const b = encodeHolepunch({ type: 'error', address: { host: '10.0.0.9', port: 1 }, error: name as keyof typeof codes });
      assert.equal(b[0], 2);
      assert.equal(new DataView(b.buffer).getUint32(8), code);
    }
  });

  it('round-trips every message type and both families', () => {
    const msgs: HolepunchMessage[] = [
      { type: 'rendezvous', address: { host: '172.16.0.2', port: 6881 } },
      { type: 'connect', address: { host: 'fd12:3456::1', port: 0 } },
      { type: 'error', address: { host: '10.9.8.7', port: 65535 }, error: 'NotConnected' },
      { type: 'error', address: { host: '10.9.8.7', port: 80 }, error: 77 },
    ];
    for (const m of msgs) assert.deepEqual(decodeHolepunch(encodeHolepunch(m)), m);
  });

  it('keeps an unknown error code as its number', () => {
    const m = decodeHolepunch(hex('02 00 0a000001 1ae1 000000ff'));
    assert.deepEqual(m, { type: 'error', address: { host: '10.0.0.1', port: 6881 }, error: 255 });
  });

  it('refuses an unknown msg_type, an unknown addr_type and a wrong length with PeerProtocolError', () => {
    const bad = ['03 00 0a000001 1ae1 00000000', '00 02 0a000001 1ae1 00000000', '00 00 0a000001 1ae1 000000', '00 00 0a000001 1ae1 00000000 00', '00 01 0a000001 1ae1 00000000', '00', ''];
    for (const b of bad) {
      assert.throws(() => decodeHolepunch(hex(b)), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'bad_extension_message', b);
    }
  });

  it('takes rendezvous and connect without err_code, as libtorrent 2.0.8 writes them, but not an error without its code', () => {
    assert.deepEqual(decodeHolepunch(hex('00 00 0a580201 1ae1')), { type: 'rendezvous', address: { host: '10.88.2.1', port: 6881 } });
    assert.deepEqual(decodeHolepunch(hex('01 01 fd000000000000000000000000000005 c8d5')), { type: 'connect', address: { host: 'fd00::5', port: 51413 } });
    assert.throws(() => decodeHolepunch(hex('02 00 0a580201 1ae1')), PeerProtocolError);
  });

  it('refuses to encode a host name', () => {
    assert.throws(() => encodeHolepunch({ type: 'connect', address: { host: 'example', port: 1 } }), RangeError);
  });
});
