/** The LEDBAT window (src/transport/utp/congestion.ts): how it shrinks above the target delay and how far it may grow. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ledbat } from '../../../src/transport/utp/congestion.js';
import { UTP_DEFAULTS } from '../../../src/transport/utp/options.js';

const BASE = 5_000_000; // the peer's timestamp_difference with an empty queue, µs

function warmed(cwnd: number): Ledbat {
  const l = new Ledbat(UTP_DEFAULTS);
  l.onAck(1400, BASE, 0, true); // sets the base delay (queuing delay 0)
  l.slowStart = false;
  l.cwnd = cwnd;
  return l;
}

describe('LEDBAT window', () => {
  it('gives back up to half the window per window of acks when the queue is far above the 100 ms target', () => {
    const l = warmed(1_000_000);
    // 300 ms of queuing delay: three times the target.
    let acked = 0;
    for (let t = 1; acked < 1_000_000; t++, acked += 1400) l.onAck(1400, BASE + 300_000, t * 1000, true);
    assert.ok(l.cwnd < 620_000, `window ${Math.round(l.cwnd)} after a window of acks 200 ms over target`);
    assert.ok(l.cwnd > 300_000, `window ${Math.round(l.cwnd)}: at most a halving per window`);
  });

  it('shrinks in proportion to how far over the target the delay is', () => {
    const l = warmed(1_000_000);
    for (let i = 0; i < 100; i++) l.onAck(1400, BASE + 120_000, 1000 + i, true); // 20 % over
    assert.ok(Math.abs(1_000_000 - l.cwnd - 100 * 1400 * 0.2) < 1000, `window ${Math.round(l.cwnd)}`);
  });

  it('never shrinks below one packet', () => {
    const l = warmed(3000);
    for (let i = 0; i < 50; i++) l.onAck(1400, BASE + 2_000_000, 1000 + i, true);
    assert.equal(l.cwnd, UTP_DEFAULTS.packetSize);
  });

  it('ignores one late delay sample (a busy peer) but shrinks when the delay persists', () => {
    const l = warmed(500_000);
    for (let i = 0; i < 3; i++) l.onAck(1400, BASE + 10_000, 1000 + i, true); // a short queue
    l.onAck(1400, BASE + 400_000, 2000, true); // one sample 400 ms late
    assert.ok(l.cwnd >= 500_000, `one late sample cut the window to ${Math.round(l.cwnd)}`);
    const before = l.cwnd;
    for (let i = 0; i < 8; i++) l.onAck(1400, BASE + 400_000, 3000 + i, true);
    assert.ok(l.cwnd < before - 2 * 1400, `a persistent 400 ms delay took the window from ${Math.round(before)} to ${Math.round(l.cwnd)}`);
  });

  it('does not grow past what is in flight plus two packets (a peer window caps the flight)', () => {
    const l = new Ledbat(UTP_DEFAULTS);
    l.onAck(1400, BASE, 0, true);
    // Slow start, delay under target: BEP 29 alone would add every acked byte.
    for (let i = 0; i < 1000; i++) l.onAck(1400, BASE + 10_000, 1000 + i, true, 100_000);
    assert.ok(l.slowStart);
    assert.ok(l.cwnd <= 100_000 + 2 * 1400, `window ${Math.round(l.cwnd)} with 100 000 bytes in flight`);
  });

  it('still grows under the target when the flight fills the window', () => {
    const l = warmed(100_000);
    l.onAck(1400, BASE + 10_000, 1000, true, 100_000);
    assert.ok(l.cwnd > 100_000);
  });

  it('grows by a whole stretch ACK in slow start when the window is full (libtorrent acks a burst at once)', () => {
    const l = new Ledbat(UTP_DEFAULTS);
    l.onAck(1400, BASE, 0, true, 2 * 1400);
    const before = l.cwnd;
    // One ACK for 5 packets, the window full: slow start adds all 7000 bytes, not just two packets.
    l.onAck(5 * 1400, BASE + 1000, 1000, true, before);
    assert.ok(l.slowStart);
    assert.equal(l.cwnd, before + 5 * 1400);
  });

  it('cuts the window to 0.7 on a loss with no queue of ours (random loss), by half behind a queue of 10 ms or more', () => {
    const quiet = warmed(100_000);
    quiet.onAck(1400, BASE + 2_000, 1000, false); // 2 ms of queuing delay: noise, no queue
    quiet.onLoss();
    assert.equal(Math.round(quiet.cwnd), 70_000);
    assert.equal(quiet.slowStart, false);
    const queued = warmed(100_000);
    for (let i = 0; i < 4; i++) queued.onAck(1400, BASE + 12_000, 1000 + i, false); // a 12 ms queue
    queued.onLoss();
    assert.equal(Math.round(queued.cwnd), 50_000);
    const unsampled = new Ledbat(UTP_DEFAULTS);
    unsampled.cwnd = 100_000;
    unsampled.onLoss();
    assert.equal(Math.round(unsampled.cwnd), 50_000, 'no delay sample from the peer yet: nothing says the loss was random');
  });
});
