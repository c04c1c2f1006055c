/**
 * BEP 15 front end of the tracker server over the runtime's UDP seam. Connection ids are
 * stateless: a keyed hash of the client's address and the current 1-minute epoch; the
 * previous epoch's id is accepted too (so an id lives 1–2 minutes). Malformed packets get
 * an error reply when a transaction id can be read and the reply is no larger than the
 * packet (no amplification towards a forged source), and are otherwise dropped.
 */
import type { Address, Clock, Random, UdpEndpoint } from '../runtime/types.js';
import { TrackerProtocolError } from './errors.js';
import type { TrackerCore } from './server-core.js';
import { decodeRequest, encodeAnnounceReplyCompact, encodeConnectReply, encodeErrorReply, encodeScrapeReply } from './udp-codec.js';

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
    return (BigInt(this.idHalf(from, epoch, 0)) << 32n) | BigInt(this.idHalf(from, epoch, 1));
  }

  /** One 32-bit half of the connection id (`half` 0 = high). */
  private idHalf(from: Address, epoch: number, half: 0 | 1): number {
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
    return (half === 0 ? h1 : h2) >>> 0;
  }

  /** Checks the packet's first 8 bytes against this and the previous epoch's id. */
  private validConnection(data: Uint8Array, from: Address): boolean {
    const hi = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
    const lo = ((data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7]) >>> 0;
    const epoch = Math.floor(this.o.clock.now() / EPOCH_MS);
    if (this.idHalf(from, epoch, 1) === lo && this.idHalf(from, epoch, 0) === hi) return true;
    return this.idHalf(from, epoch - 1, 1) === lo && this.idHalf(from, epoch - 1, 0) === hi;
  }

  private onPacket(data: Uint8Array, from: Address): void {
    this.packets++;
    try {
      this.handle(data, from);
    } catch (e) {
      this.errors++;
      if (!(e instanceof TrackerProtocolError)) throw e;
      // A remote violation: answer with an error when we can read a transaction id.
      if (data.length >= 16) this.sendError(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(12), e.message, data.length, from);
      else this.dropped++;
    }
  }

  /**
   * An error reply, unless it would be larger than the request it answers: the source address
   * of a UDP packet can be forged, so a larger answer would make the tracker an amplifier
   * aimed at someone else (16 bytes of garbage drew a 30-45 byte error). Such requests are
   * dropped; a client's malformed announce (98 bytes) still learns what was wrong.
   */
  private sendError(tid: number, message: string, requestBytes: number, to: Address): void {
    const reply = encodeErrorReply(tid, message);
    if (reply.length > requestBytes) this.dropped++;
    else this.o.endpoint.send(reply, to);
  }

  private handle(data: Uint8Array, from: Address): void {
    const req = decodeRequest(data);
    const ep = this.o.endpoint;
    if (req.action === 'connect') {
      ep.send(encodeConnectReply(req.tid, this.connectionId(from, Math.floor(this.o.clock.now() / EPOCH_MS))), from);
      return;
    }
    if (!this.validConnection(data, from)) {
      this.sendError(req.tid, 'invalid connection id', data.length, from);
      return;
    }
    if (req.action === 'announce') {
      // Over IPv6 the reply lists IPv6 peers (18 bytes each), over IPv4 IPv4 peers (BEP 15).
      const v6 = from.host.includes(':') && !from.host.startsWith('::ffff:');
      const out = this.o.core.announce(req.request, from.host, v6 ? 6 : 4, false);
      ep.send(out.ok ? encodeAnnounceReplyCompact(req.tid, out.response, v6 ? out.compact6 : out.compact4) : encodeErrorReply(req.tid, out.reason), from);
      return;
    }
    ep.send(encodeScrapeReply(req.tid, this.o.core.scrape(req.infoHashes)), from);
  }
}
