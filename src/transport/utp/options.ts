/**
 * Options of one uTP connection (BEP 29) with their defaults. Every amount a remote can make
 * us hold is bounded here; docs/utp.md lists them.
 */
export interface UtpConnectionOptions {
  /** Payload of DATA packets until a bigger size is proven (mtu.ts), bytes. 1400 fits a 1500-byte MTU under IPv4 or IPv6 with a selective ACK. */
  packetSize: number;
  /**
   * Largest payload MTU probing tries, bytes: 1446 fills a 1500-byte IPv4 path (20 IP + 8 UDP
   * + 20 uTP + 6 for a selective ACK), as libtorrent's 1472-byte datagrams do; 20 less for
   * IPv6 (the socket lowers it); `packetSize` or less turns probing off.
   */
  maxPacketSize: number;
  /** LEDBAT target queuing delay, microseconds (BEP 29: 100 ms). */
  targetDelayUs: number;
  /** LEDBAT's largest window increase per RTT, bytes (libtorrent's utp_gain_factor). */
  gainBytes: number;
  /** Congestion window when the connection starts, in packets. */
  initialCwndPackets: number;
  /** Upper bound of the congestion window, bytes. */
  maxCwndBytes: number;
  /** Retransmission timeout before any RTT sample, ms (BEP 29: 1000). */
  initialRtoMs: number;
  /** Floor of the retransmission timeout, ms (BEP 29: 500). */
  minRtoMs: number;
  /** Ceiling of the retransmission timeout after doubling, ms. */
  maxRtoMs: number;
  /** Consecutive timeouts of in-flight data before the connection fails with `timeout`. */
  maxRetransmits: number;
  /** SYN re-sends before a connect fails with `timeout`. */
  maxSynRetransmits: number;
  /** Send an empty STATE after this long without sending anything, ms (keeps NAT mappings open). */
  keepaliveMs: number;
  /** Close with `timeout` after this long without receiving anything, ms. */
  idleTimeoutMs: number;
  /** Bytes queued by `write` beyond which it returns false (the caller waits for `drained`). */
  sendBufferBytes: number;
  /** Receive buffer: the window we advertise; out-of-order bytes we hold never exceed it. */
  recvBufferBytes: number;
  /** How far past the next expected packet we buffer out-of-order packets (bounded by the SACK size). */
  maxOutOfOrderPackets: number;
  /** Duplicate ACKs (or packets selectively acked past a hole) that mark it lost (BEP 29: 3). */
  duplicateAckThreshold: number;
  /** Factor applied to the window on loss (BEP 29 since 2012: 0.5). */
  lossFactor: number;
  /**
   * Factor applied instead when our queuing delay is under `quietLossDelayUs` at the loss: no
   * queue of ours stood behind it, so it is most likely random loss (TCP Veno's rule, with
   * LEDBAT's measured delay for Veno's backlog estimate). 0.7 is CUBIC's (RFC 9438), the cut
   * of most TCP on the Internet; `lossFactor` turns it off.
   */
  quietLossFactor: number;
  /** Queuing delay under which a loss counts as random, microseconds (a tenth of the target). */
  quietLossDelayUs: number;
  /** Least time between two loss cuts of the window, ms (libtorrent's utp_cwnd_reduce_timer: 100). */
  lossCutIntervalMs: number;
  /** Above the target delay, shrink the window multiplicatively (LEDBAT++; default) instead of BEP 29's linear decrease. */
  multiplicativeDecrease: boolean;
}

export const UTP_DEFAULTS: UtpConnectionOptions = {
  packetSize: 1400,
  maxPacketSize: 1446,
  targetDelayUs: 100_000,
  gainBytes: 3000,
  initialCwndPackets: 2,
  maxCwndBytes: 4 * 1024 * 1024,
  initialRtoMs: 1000,
  minRtoMs: 500,
  maxRtoMs: 60_000,
  maxRetransmits: 5,
  maxSynRetransmits: 2,
  keepaliveMs: 29_000,
  idleTimeoutMs: 120_000,
  sendBufferBytes: 1024 * 1024,
  recvBufferBytes: 1024 * 1024,
  maxOutOfOrderPackets: 1024,
  duplicateAckThreshold: 3,
  lossFactor: 0.5,
  quietLossFactor: 0.7,
  quietLossDelayUs: 10_000,
  lossCutIntervalMs: 100,
  multiplicativeDecrease: true,
};
