/**
 * Path MTU probing for uTP (BEP 29 "MTU"): DATA payloads start at `packetSize` (safe on any
 * 1500-byte path with room for tunnels) and grow only on proof, a binary search towards
 * `maxPacketSize` as libtorrent does. Unlike libtorrent, which probes with a bigger payload
 * and sets the don't-fragment bit on probes only (Node's dgram cannot), a probe here is an
 * ordinary DATA packet padded by an extension receivers skip (BEP 29: unknown extensions are
 * skipped by their length; libtorrent and libutp do). If the probe is lost or truncated
 * (libtorrent reads into 1500 bytes; a truncated extension makes it drop the packet), the
 * re-send goes without padding, so no payload ever depends on an unproven size. A lost probe
 * does not cut the congestion window. The padding extension is `EXT_PADDING` (packet.ts; 1 is
 * the selective ACK, 2 libutp's extension bits, 3 libtorrent's close reason). Pure arithmetic:
 * no clock, no I/O.
 */

/** Stop probing once the unknown range is this small (bytes). */
const PROBE_RESOLUTION = 16;
/** New DATA packets between a failed probe and the next. */
const PACKETS_AFTER_FAILURE = 256;
/** Full-size DATA packets before the first probe: a short exchange never pads anything. */
const PACKETS_BEFORE_FIRST = 32;

export class MtuProbe {
  /** Largest payload known to get through. */
  floor: number;
  /** Largest payload not yet known to fail. */
  ceiling: number;
  /** The outstanding probe: its sequence number and the payload size it stands for. */
  private probe: { seq: number; size: number } | undefined;
  private holdOffPackets = PACKETS_BEFORE_FIRST;
  private failures = 0;

  constructor(floor: number, ceiling: number) {
    this.floor = floor;
    this.ceiling = Math.max(floor, ceiling);
  }

  /** Payload size for new DATA packets. */
  get packetSize(): number {
    return this.floor;
  }

  /**
   * Called for each new full-size DATA packet: the payload size it should stand for as a
   * probe (pad it to that), or 0 to send it as it is.
   */
  probeSizeFor(seq: number): number {
    if (this.probe !== undefined || this.ceiling - this.floor < PROBE_RESOLUTION) return 0;
    if (this.holdOffPackets > 0) {
      this.holdOffPackets--;
      return 0;
    }
    // The ceiling first (one probe settles the usual 1500-byte path), then halve the gap.
    const size = this.failures === 0 ? this.ceiling : this.floor + Math.ceil((this.ceiling - this.floor) / 2);
    this.probe = { seq, size };
    return size;
  }

  /** Whether `seq` is the outstanding probe. */
  isProbe(seq: number): boolean {
    return this.probe !== undefined && this.probe.seq === seq;
  }

  /** The probe (its padded first transmission) was acked: the path carries that size. */
  acked(seq: number): void {
    if (!this.isProbe(seq)) return;
    this.floor = Math.max(this.floor, this.probe!.size);
    this.probe = undefined;
  }

  /** The probe was lost (its re-send goes unpadded): look lower, after a while. */
  lost(seq: number): void {
    if (!this.isProbe(seq)) return;
    this.ceiling = Math.max(this.floor, this.probe!.size - 1);
    this.probe = undefined;
    this.failures++;
    this.holdOffPackets = PACKETS_AFTER_FAILURE;
  }
}
