/**
 * BEP 15 front end of the tracker server over the runtime's UDP seam. Connection ids are
 * stateless: a keyed hash of the client's address and the current 1-minute epoch; the
 * previous epoch's id is accepted too (so an id lives 1–2 minutes). Malformed packets get
 * an error reply when a transaction id can be read, and are otherwise dropped.
 */
import type { Address, Clock, Random, UdpEndpoint } from '../runtime/types.js';
import { TrackerProtocolError } from './errors.js';
import type { TrackerCore } from './server-core.js';
import { decodeRequest, encodeAnnounceReplyRaw, encodeConnectReply, encodeErrorReply, encodeScrapeReply } from './udp-codec.js';

const EPOCH_MS = 60_000;

export interface UdpTrackerServerOptions {
  readonly core: TrackerCore;
  readonly endpoint: UdpEndpoint;
  readonly clock: Clock;
  readonly random: Random;
}

export class UdpTrackerServer {
  private readonly o: UdpTrackerServerOptions;
  private readonly secret: Uint32Array;
  packets = 0;
  dropped = 0;
  errors = 0;

  constructor(o: UdpTrackerServerOptions) {
    this.o = o;
    const s = o.random.bytes(16);
    this.secret = new Uint32Array(s.buffer, s.byteOffset, 4).slice();
    o.endpoint.onMessage((data, from) => this.onPacket(data, from));
  }

  get address(): Address {
    return this.o.endpoint.address;
  }

  close(): void {
    this.o.endpoint.close();
  }

  /** A 64-bit connection id for `from` in `epoch`. */
  connectionId(from: Address, epoch: number): bigint {
    const [h1, h2] = this.idHalves(from, epoch);
    return (BigInt(h1) << 32n) | BigInt(h2);
  }

  private idHalves(from: Address, epoch: number): [number, number] {
    let h1 = this.secret[0] ^ epoch;
    let h2 = this.secret[1] ^ Math.imul(epoch, 0x9e3779b1);
    const s = from.host;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h1 = Math.imul(h1 ^ from.port ^ this.secret[2], 0x85ebca6b);
    h2 = Math.imul(h2 ^ from.port ^ this.secret[3], 0xc2b2ae35);
    h1 ^= h1 >>> 13;
    h2 ^= h2 >>> 16;
    return [h1 >>> 0, h2 >>> 0];
  }

  /** Checks the packet's first 8 bytes against this and the previous epoch's id. */
  private validConnection(data: Uint8Array, from: Address): boolean {
    const v = new DataView(data.buffer, data.byteOffset, 8);
    const hi = v.getUint32(0);
    const lo = v.getUint32(4);
    const epoch = Math.floor(this.o.clock.now() / EPOCH_MS);
    const [a, b] = this.idHalves(from, epoch);
    if (a === hi && b === lo) return true;
    const [c, d] = this.idHalves(from, epoch - 1);
    return c === hi && d === lo;
  }

  private onPacket(data: Uint8Array, from: Address): void {
    this.packets++;
    try {
      this.handle(data, from);
    } catch (e) {
      this.errors++;
      if (!(e instanceof TrackerProtocolError)) throw e;
      // A remote violation: answer with an error when we can read a transaction id.
      if (data.length >= 16) {
        const tid = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(12);
        this.o.endpoint.send(encodeErrorReply(tid, e.message), from);
      } else this.dropped++;
    }
  }

  private handle(data: Uint8Array, from: Address): void {
    const req = decodeRequest(data);
    const send = (b: Uint8Array): void => this.o.endpoint.send(b, from);
    if (req.action === 'connect') {
      send(encodeConnectReply(req.tid, this.connectionId(from, Math.floor(this.o.clock.now() / EPOCH_MS))));
      return;
    }
    if (!this.validConnection(data, from)) {
      send(encodeErrorReply(req.tid, 'invalid connection id'));
      return;
    }
    if (req.action === 'announce') {
      const family = from.host.includes(':') && !from.host.startsWith('::ffff:') ? 6 : 4;
      const out = this.o.core.announce(req.request, from.host, family, false);
      send(out.ok ? encodeAnnounceReplyRaw(req.tid, out.response, out.raw) : encodeErrorReply(req.tid, out.reason));
      return;
    }
    send(encodeScrapeReply(req.tid, this.o.core.scrape(req.infoHashes)));
  }
}
