/**
 * Piece picker at scale: 100,000 pieces, 50 peers (10 seeds, 40 with partial bitfields),
 * the incremental picker (src/swarm/piece-picker.ts) against the scanning one it replaced
 * (test/helpers/reference-picker.ts), same workload, same seed.
 *
 *   node dist/bench/picker.js [--pieces 100000] [--peers 50] [--verify 1000] [--seed 1]
 *
 * Workload: every peer announces its pieces; then round robin over the peers, each pick asks
 * for 16 blocks (one 256 KiB piece), the blocks arrive at once, complete pieces verify; every
 * 10 verified pieces, 5 peers announce a have; once a second of the swarm's life (every 50
 * picks) each peer's tick asks `done` and the interest of the peer. Until `verify` pieces are
 * verified. Prints set-up time and the time for the picking phase.
 */
import { performance } from 'node:perf_hooks';
import { createRandom } from '../src/runtime/random.js';
import { Bitfield } from '../src/util/bitfield.js';
import { BLOCK_LENGTH, PiecePicker } from '../src/swarm/piece-picker.js';
import { ReferencePicker } from '../test/helpers/reference-picker.js';
import { printBenchLine } from './lib/measure.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const PIECES = arg('pieces', 100_000);
const PEERS = arg('peers', 50);
const VERIFY = arg('verify', 1000);
const SEED = arg('seed', 1);
const SEEDS = Math.floor(PEERS / 5);
const PIECE_BYTES = 16 * BLOCK_LENGTH;

type Picker = PiecePicker<number> | ReferencePicker<number>;

interface Peer {
  readonly id: number;
  readonly bits: Bitfield;
  readonly seed: boolean;
}

function makePeers(): Peer[] {
  const r = createRandom(SEED);
  const peers: Peer[] = [];
  for (let id = 0; id < PEERS; id++) {
    if (id < SEEDS) {
      peers.push({ id, bits: Bitfield.full(PIECES), seed: true });
      continue;
    }
    const density = 0.3 + 0.6 * r.next();
    const bits = new Bitfield(PIECES);
    for (let i = 0; i < PIECES; i++) if (r.next() < density) bits.set(i);
    peers.push({ id, bits, seed: false });
  }
  return peers;
}

function run(label: string, make: () => Picker, peers: readonly Peer[]): { setupMs: number; pickMs: number; picks: number } {
  const r = createRandom(SEED + 1);
  const t0 = performance.now();
  const picker = make();
  for (const p of peers) {
    // The swarm counts a seed once when the picker can (addSeed), else per piece.
    if (p.seed && picker instanceof PiecePicker) picker.addSeed();
    else picker.peerBitfield(p.bits);
  }
  const t1 = performance.now();
  let verified = 0, picks = 0, turn = 0, interested = 0;
  while (verified < VERIFY) {
    const peer = peers[turn++ % peers.length];
    const blocks = picker.pick({ peer: peer.id, has: peer.bits, isSeed: peer.seed }, 16);
    picks++;
    for (const b of blocks) {
      if (!picker.blockReceived(b, peer.id).pieceComplete) continue;
      picker.pieceVerified(b.index);
      if (++verified % 10 === 0) {
        for (let k = 0; k < 5; k++) {
          const other = peers[SEEDS + r.int(peers.length - SEEDS)];
          const i = r.int(PIECES);
          if (other.bits.set(i)) picker.peerHas(i);
        }
      }
    }
    if (picks % 50 === 0) {
      // The swarm's tick: per peer, whether we are done (both seeds: disconnect) and interested.
      for (const p of peers) {
        if (picker.done) throw new Error('done too early');
        if (p.seed || picker.interestedIn(p.bits)) interested++;
      }
    }
  }
  const t2 = performance.now();
  console.log(`# ${label}: set-up ${(t1 - t0).toFixed(0)} ms, ${picks} picks for ${verified} pieces in ${(t2 - t1).toFixed(0)} ms (${interested} interest checks true)`);
  return { setupMs: t1 - t0, pickMs: t2 - t1, picks };
}

const sizes = new Array<number>(PIECES).fill(PIECE_BYTES);
console.log(`# ${PIECES} pieces of ${PIECE_BYTES / 1024} KiB, ${PEERS} peers (${SEEDS} seeds), ${VERIFY} pieces verified`);
// Fresh bitfields per run: the workload's haves change them.
const scanning = run('scanning (before)', () => new ReferencePicker<number>(sizes, createRandom(SEED)), makePeers());
const incremental = run('incremental (after)', () => new PiecePicker<number>(sizes, createRandom(SEED)), makePeers());
printBenchLine('picker-100k-50-pick', incremental.pickMs, scanning.pickMs, 'ms', 'scanning');
printBenchLine('picker-100k-50-setup', incremental.setupMs, scanning.setupMs, 'ms', 'scanning');
