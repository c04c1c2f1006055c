/**
 * BEP 29 congestion control: RTT / RTO estimation and the LEDBAT window driven by one-way
 * delay (target 100 ms), halved on loss and reset to one packet on timeout. Pure arithmetic,
 * no clock: callers pass times in microseconds.
 */
import type { UtpConnectionOptions } from './options.js';

/** BEP 29 "timeouts": rtt and rtt_var from packets sent once; timeout = max(rtt + 4 rtt_var, 500 ms). */
export class RttEstimator {
  rttMs = 0;
  rttVarMs = 0;
  private sampled = false;
  private backoff = 1;
  constructor(private readonly options: Pick<UtpConnectionOptions, 'initialRtoMs' | 'minRtoMs' | 'maxRtoMs'>) {}

  sample(rttMs: number): void {
    if (!this.sampled) {
      this.rttMs = rttMs;
      this.rttVarMs = rttMs / 2;
      this.sampled = true;
    } else {
      const delta = this.rttMs - rttMs;
      this.rttVarMs += (Math.abs(delta) - this.rttVarMs) / 4;
      this.rttMs += (rttMs - this.rttMs) / 8;
    }
    this.backoff = 1;
  }

  /** The current timeout, ms: doubled for every consecutive timeout (`backOff`). */
  get rtoMs(): number {
    const base = this.sampled ? Math.max(this.rttMs + this.rttVarMs * 4, this.options.minRtoMs) : this.options.initialRtoMs;
    return Math.min(base * this.backoff, this.options.maxRtoMs);
  }

  backOff(): void {
    this.backoff *= 2;
  }

  resetBackoff(): void {
    this.backoff = 1;
  }
}

const MINUTE_US = 60_000_000;

/**
 * The base delay: a sliding minimum of the peer-reported one-way delays over the last two
 * minutes (BEP 29), kept as the minimum of the current and the previous minute. Values are
 * 32-bit timestamps that wrap, so comparisons use the signed 32-bit difference.
 */
export class DelayBase {
  private current = -1;
  private previous = -1;
  private minuteStartUs = -1;

  /** Adds a sample; returns our queuing delay (sample minus base), microseconds. */
  add(sample: number, nowUs: number): number {
    if (this.minuteStartUs < 0) this.minuteStartUs = nowUs;
    if (nowUs - this.minuteStartUs >= MINUTE_US) {
      this.previous = this.current;
      this.current = -1;
      this.minuteStartUs = nowUs;
    }
    if (this.current < 0 || ((sample - this.current) | 0) < 0) this.current = sample;
    let base = this.current;
    if (this.previous >= 0 && ((this.previous - base) | 0) < 0) base = this.previous;
    return ((sample - base) | 0) >>> 0;
  }
}

/** Delay samples whose minimum is the queuing delay LEDBAT acts on (RFC 6817 suggests a few). */
export const DELAY_FILTER = 4;

/** LEDBAT window (BEP 29 "congestion control"), with slow start until the delay or ssthresh is hit, as libtorrent. */
export class Ledbat {
  cwnd: number;
  ssthresh = Infinity;
  slowStart = true;
  /** Queuing delay, microseconds: the least of the latest `DELAY_FILTER` samples (RFC 6817 §3.4.2's FILTER). */
  ourDelayUs = 0;
  private readonly base = new DelayBase();
  private readonly recent: number[] = [];
  /** Whether the peer has sent any delay sample (without one, no loss counts as quiet). */
  private delaySampled = false;

  constructor(private readonly options: UtpConnectionOptions) {
    this.cwnd = options.initialCwndPackets * options.packetSize;
  }

  /**
   * Grows or shrinks the window for `ackedBytes` newly acked. `delaySample` is the peer's
   * `timestamp_difference` (0 = it has none yet); `cwndLimited` says whether we had filled the
   * window, so an idle or application-limited sender does not inflate it; `flightBytes` is what
   * was in flight before this ack.
   *
   * Two changes to BEP 29's arithmetic, both for a sender whose flight is capped by the peer's
   * receive window (the usual case on a fast link):
   * - the window grows to at most `flightBytes` plus two packets or this ACK's bytes, whichever
   *   is more (RFC 6817 §2.4.1's cap), so slow start cannot leave it far above what is really
   *   in flight, yet a full window grows by a whole stretch ACK (libtorrent acks a burst at once);
   * - above the target it shrinks multiplicatively, by `ackedBytes * (delay / target - 1)`
   *   (at most half the window per round trip), as LEDBAT++ does
   *   (draft-irtf-iccrg-ledbat-plus-plus §4.2); BEP 29's linear decrease, 3000 bytes per round
   *   trip at most, took tens of seconds to give a deep queue back to TCP.
   */
  onAck(ackedBytes: number, delaySample: number, nowUs: number, cwndLimited: boolean, flightBytes = Infinity): void {
    if (ackedBytes <= 0) return;
    const o = this.options;
    if (delaySample !== 0) {
      this.delaySampled = true;
      // A single late sample is often the peer's scheduler, not a queue: a queue persists.
      this.recent.push(this.base.add(delaySample, nowUs));
      if (this.recent.length > DELAY_FILTER) this.recent.shift();
      this.ourDelayUs = Math.min(...this.recent);
    }
    const delayFactor = (o.targetDelayUs - this.ourDelayUs) / o.targetDelayUs;
    const windowFactor = ackedBytes / Math.max(this.cwnd, o.packetSize);
    let gain = o.gainBytes * delayFactor * windowFactor;
    if (this.slowStart) {
      if (this.cwnd >= this.ssthresh || this.ourDelayUs > o.targetDelayUs) this.slowStart = false;
      else if (ackedBytes > gain) gain = ackedBytes;
    }
    if (o.multiplicativeDecrease && this.ourDelayUs > o.targetDelayUs) gain = Math.min(gain, -ackedBytes * Math.min(-delayFactor, 0.5));
    if (gain > 0 && !cwndLimited) gain = 0;
    let cwnd = this.cwnd + gain;
    if (gain > 0) cwnd = Math.min(cwnd, Math.max(this.cwnd, flightBytes + Math.max(2 * o.packetSize, ackedBytes)));
    this.cwnd = Math.min(Math.max(cwnd, o.packetSize), o.maxCwndBytes);
  }

  /**
   * A packet was lost (3 duplicate acks or selective acks past it): multiply by the loss
   * factor, or by the milder `quietLossFactor` when our queuing delay shows no queue of ours
   * (random loss: a lossy radio link, a relay; a loss at a queue we filled comes with the
   * delay of that queue; a peer that sends no delay samples always gets the loss factor).
   * Through 50 ms RTT and 1 % random loss, halving on every loss held
   * the window at 15-35 KB (Mathis's bound for Reno); docs/utp.md has the figures.
   */
  onLoss(): void {
    const o = this.options;
    const factor = this.delaySampled && this.ourDelayUs < o.quietLossDelayUs ? o.quietLossFactor : o.lossFactor;
    this.cwnd = Math.max(this.cwnd * factor, o.packetSize);
    this.ssthresh = this.cwnd;
    this.slowStart = false;
  }

  /** The retransmission timer fired: one packet, then slow start again up to half the old window. */
  onTimeout(): void {
    this.ssthresh = Math.max(this.cwnd / 2, this.options.packetSize * 2);
    this.cwnd = this.options.packetSize;
    this.slowStart = true;
  }
}
