/**
 * Moving blocks in: filling a peer's request pipeline, taking in blocks and verifying the
 * pieces they complete (with blame for bad data). Serving a peer's requests is `uploads.ts`.
 */
import type { Torrent } from '../metainfo/torrent.js';
import type { Runtime } from '../runtime/types.js';
import type { PieceStorage } from '../storage/types.js';
import type { PeerSession } from './peer-session.js';
import type { Fetcher } from './webseed-session.js';
import { BLOCK_LENGTH, type PiecePicker } from './piece-picker.js';
import type { SwarmEvent } from './swarm.js';
import type { OwedLooks } from './owed.js';
import type { Choker } from './choker.js';
import type { RequestBudget } from './request-budget.js';
import { availableAcross, consumeAcross, delayAcross, type RateLimiter } from './rate-limit.js';

/** What the transfer functions need of the swarm. */
export interface TransferContext {
  readonly runtime: Runtime;
  readonly picker: PiecePicker<Fetcher> | undefined;
  readonly storage: PieceStorage | undefined;
  readonly torrent: Torrent | undefined;
  readonly contributors: Map<number, Set<Fetcher>>;
  readonly pendingWrites: Map<number, Promise<void>[]>;
  /** Payload bytes: blocks taken, blocks served, and blocks received that we had already. */
  readonly totals: { downloaded: number; uploaded: number; wasted: number };
  /** Bytes handed to storage whose write has not finished (backpressure). */
  writeBacklog: number;
  /** Refills every peer's pipeline (after the write backlog drained). */
  refillAll(): void;
  emit(event: SwarmEvent): void;
  /** Corrupt data: the peer's IP is banned (a web seed is dropped). */
  ban(peer: Fetcher, reason: string): void;
  /** A protocol violation: the connection is closed (and repeat offenders refused for a while). */
  violation(peer: PeerSession, reason: string): void;
  /** A piece checked; `from`: the peers and web seeds that sent its blocks. */
  afterPiece(piece: number, ok: boolean, from: readonly Fetcher[]): void;
  /** Rate limits (session-wide and this torrent's); empty chains: unlimited. */
  readonly limits: { readonly download: readonly RateLimiter[]; readonly upload: readonly RateLimiter[] };
  /** Peers with requests held back by the upload limit, in the order they are served. */
  readonly uploadWaiting: Set<PeerSession>;
  /** Bytes of blocks on their way to one peer we hold at most (disk reads plus the stream's queue). */
  readonly maxQueuedUploadBytes: number;
  /** Asks to be called back (refills and queued uploads) once the limits allow more, `ms` from now. */
  wakeAfter(ms: number): void;
  /** Bytes of blocks we keep requested from all peers together, shared among the peers we may request from (request-budget.ts). */
  readonly requests: RequestBudget;
  /** The choker's looks at what each peer owes us (owed.ts): synced before an upload total changes. */
  readonly owedLooks: OwedLooks;
  /** The choker, the peers we unchoke and every peer: an upload that runs out of requests may open a demand slot (uploads.ts). */
  readonly choker: Choker<PeerSession>;
  readonly unchoked: ReadonlySet<PeerSession>;
  readonly peers: ReadonlyMap<string, PeerSession>;
  /** Unchokes waiting interested peers into free slots. */
  fillSlots(): void;
}

/** Seconds of data at the peer's current rate we keep requested (libtorrent uses 3 s). */
const QUEUE_SECONDS = 2;
/**
 * Requests a peer that has not delivered a block yet may hold: a Sybil that announces
 * pieces and never sends them then pins two blocks until the request timeout, not a whole
 * queue (the queue opens up with the first block).
 */
const PROBATION_QUEUE = 2;
/** The fewest requests a delivering peer keeps (libtorrent's `min_request_queue` is 2 too). */
const MIN_QUEUE = 2;
/**
 * Fast start: for the rate meter's first window after a peer's first block (or its first
 * after an idle spell) the measured rate still lags, so the queue grows by one per block
 * received (doubling each round trip, like TCP slow start) up to this many; after that it
 * follows the measured rate alone. A fixed
 * floor of 16 would hand a 4 KiB/s peer a minute of requests, which the end game then asks
 * of someone else and both copies arrive.
 */
const FAST_START_QUEUE = 16;
/** How long a fast start lasts (the rate meter's window). */
const FAST_START_MS = 5_000;
const MAX_QUEUE = 1000;
/**
 * Bytes of received blocks whose writes may be in flight before we stop requesting more:
 * the network can outrun the disk, and every queued block holds memory.
 */
const MAX_WRITE_BACKLOG = 24 * 1024 * 1024;

/** True while more received bytes wait for the disk than we let pile up: no new requests. */
export function writeBacklogFull(ctx: TransferContext): boolean {
  return ctx.writeBacklog > MAX_WRITE_BACKLOG;
}
/** Strikes (shares in pieces that failed their hash) that get a peer banned. */
const MAX_STRIKES = 3;

const EMPTY = { has: () => false };

/** When the wait for the peer's next block began: its last block, our first request since it owed us nothing, or its last timeout. */
export function waitingSince(peer: PeerSession): number {
  return Math.max(peer.lastBlockAt ?? peer.connectedAt, peer.askedAt ?? -Infinity, peer.requestsTimedOutAt ?? -Infinity);
}

/** Keeps `rate x time` worth of requests outstanding to the peer, so one fast peer fills the link. */
export function fillRequests(ctx: TransferContext, peer: PeerSession): void {
  const picker = ctx.picker;
  const conn = peer.conn;
  if (!picker || peer.closed || conn.state !== 'open' || !conn.amInterested) return;
  if (ctx.writeBacklog > MAX_WRITE_BACKLOG) return;
  const allowed = conn.allowedFast;
  if (conn.peerChoking && allowed.size === 0) return;
  const now = ctx.runtime.clock.now();
  // Idle (choked, or nothing to ask) past the rate window: its measured rate has decayed, so
  // the next blocks start fast again (after every unchoke of a tit-for-tat rotation).
  if (conn.outstandingRequests.size === 0 && peer.lastBlockAt !== undefined && now - peer.lastBlockAt > FAST_START_MS) peer.fastStartAt = undefined;
  const rate = peer.download.rate(now);
  const budget = ctx.requests;
  const capBlocks = Math.max(1, Math.floor(budget.maxRequestedBytes / BLOCK_LENGTH));
  // At most an equal share of the swarm-wide cap (`maxRequestedBytes`) among the peers we can
  // request from: the first peers to connect cannot take it all, nor 200 seeders make 200 queues.
  const share = Math.max(1, Math.floor(capBlocks / Math.max(1, budget.requestingPeers)));
  const target = peer.snubbed ? 1 : peer.lastBlockAt === undefined ? PROBATION_QUEUE : Math.min(share, MAX_QUEUE, queueDepth(peer, rate, now));
  let want = Math.min(target - conn.outstandingRequests.size, conn.requestSlots);
  // Refill in batches (a quarter of the queue at a time): one write carries many requests.
  if (want <= 0 || (want < target / 4 && conn.outstandingRequests.size > 0)) return;
  const room = capBlocks - Math.ceil(picker.requestedBytes / BLOCK_LENGTH);
  if (room < want) {
    // The cap binds: take what room there is, and be first for the next blocks freed.
    budget.waiting.add(peer);
    want = room;
  }
  if (want <= 0) return;
  const limited = ctx.limits.download.length > 0 ? downloadAllowance(ctx, want) : want;
  if (limited <= 0) return;
  const peerHas = conn.peerPieces ?? EMPTY;
  const has = conn.peerChoking ? { has: (i: number) => allowed.has(i) && peerHas.has(i) } : peerHas;
  // A seed has every piece: it finds unrequested blocks until end game, which has its own rule.
  const steal = conn.peerChoking || peer.isSeed ? undefined : stealFrom(peer, rate, now);
  const blocks = picker.pick({ peer, has, isSeed: peer.isSeed && !conn.peerChoking, outstanding: conn.outstandingRequests.size, steal }, limited);
  if (blocks.length > 0 && conn.outstandingRequests.size === 0) peer.askedAt = now;
  // The download limit is charged when we ask: a request is a promise of that many bytes.
  if (ctx.limits.download.length > 0) for (const b of blocks) consumeAcross(ctx.limits.download, b.length);
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k];
    if (!conn.request(b.index, b.begin, b.length)) {
      for (let j = k; j < blocks.length; j++) picker.requestDropped(blocks[j], peer);
      break;
    }
  }
  peer.flush();
}

/**
 * Stealing from slow peers: a block requested from a peer we expect it from later than
 * `STEAL_FACTOR` times what this (faster, otherwise idle) peer would take, and later than
 * `STEAL_MIN_MS` from now, may be asked of this peer too (the first copy wins, the other
 * request is cancelled). Without it a fast uploader idles while everything we want of it
 * waits in slow peers' queues (`shoal sim swarm`: the 5 Mbit/s class's uplink was busy a
 * third of the time).
 */
const STEAL_FACTOR = 3;
const STEAL_MIN_MS = 2_000;
/**
 * The first blocks a holder owes us are as good as sent: an uploader reads a block into its
 * send buffer while less than its watermark is queued (send-watermark.ts; libtorrent's
 * works alike), so the head of its queue is on the wire and the next one is read behind it.
 * A cancel no longer reaches them, so a copy stolen from there arrives twice.
 */
const STEAL_COMMITTED_BLOCKS = 2;

/** The steal rule for `peer` (undefined: it may not steal: no delivery measured yet, or snubbed). */
export function stealFrom(peer: PeerSession, rate: number, now: number): ((holder: Fetcher, index: number, begin: number) => boolean) | undefined {
  if (peer.snubbed || peer.lastBlockAt === undefined || rate <= 0) return undefined;
  const oursMs = ((peer.conn.outstandingRequests.size + 1) * BLOCK_LENGTH * 1000) / rate;
  return (holder, index, begin) => {
    if (!('conn' in holder)) return false; // a web seed's range is on its way whole
    const theirsMs = expectedMs(holder, index, begin, now);
    return theirsMs > STEAL_MIN_MS && theirsMs > STEAL_FACTOR * oursMs;
  };
}

/**
 * When we expect a block requested from `holder`: its place in the holder's queue at its
 * current rate; 0 among the blocks it has sent already. With no rate measured (a peer on
 * probation, or one that just unchoked us again after a spell), the time it has had our
 * requests without sending anything: a fresh holder is not stolen from before it could
 * deliver (its first blocks, already on its wire, came twice), one that stays silent is.
 */
function expectedMs(holder: PeerSession, index: number, begin: number, now: number): number {
  const rate = holder.download.rate(now);
  if (rate <= 0) {
    const asked = holder.askedAt;
    return asked === undefined ? Infinity : now - asked;
  }
  let ahead = 0, place = 0;
  for (const r of holder.conn.outstandingRequests.values()) {
    ahead += r.length;
    if (r.index === index && r.begin === begin) break;
    place++;
  }
  return place < STEAL_COMMITTED_BLOCKS ? 0 : (ahead * 1000) / rate;
}

/** Requests to keep outstanding at a peer that has delivered: `QUEUE_SECONDS` at its rate, more during a fast start. */
export function queueDepth(peer: Pick<PeerSession, 'fastStartAt' | 'fastStartBlocks'>, rate: number, now: number): number {
  const byRate = Math.max(MIN_QUEUE, Math.ceil((rate * QUEUE_SECONDS) / BLOCK_LENGTH));
  if (peer.fastStartAt === undefined) return Math.max(byRate, PROBATION_QUEUE);
  if (now - peer.fastStartAt >= FAST_START_MS) return byRate;
  return Math.max(byRate, Math.min(FAST_START_QUEUE, PROBATION_QUEUE + peer.fastStartBlocks));
}

/**
 * Blocks left room under the swarm-wide cap: peers waiting for it refill, first come first.
 * A peer is served once per time it was added, so this costs O(1) per block freed.
 */
export function serveWaiting(ctx: TransferContext): void {
  const picker = ctx.picker;
  const waiting = ctx.requests.waiting;
  if (!picker || waiting.size === 0) return;
  const capBytes = Math.max(BLOCK_LENGTH, ctx.requests.maxRequestedBytes);
  for (const p of waiting) {
    if (capBytes - picker.requestedBytes < BLOCK_LENGTH) return;
    waiting.delete(p);
    fillRequests(ctx, p);
  }
}

/** Counts bytes on their way to disk; when the backlog drains below the limit, requests resume. */
function addBacklog(ctx: TransferContext, bytes: number): void {
  const before = ctx.writeBacklog;
  ctx.writeBacklog += bytes;
  if (before > MAX_WRITE_BACKLOG && ctx.writeBacklog <= MAX_WRITE_BACKLOG) ctx.refillAll();
}

/** How many of `want` blocks the download limits allow now; schedules a wake-up when none. */
function downloadAllowance(ctx: TransferContext, want: number): number {
  const blocks = Math.floor(availableAcross(ctx.limits.download) / BLOCK_LENGTH);
  if (blocks <= 0) ctx.wakeAfter(delayAcross(ctx.limits.download, BLOCK_LENGTH));
  return Math.min(want, blocks);
}

export function handlePieceMessage(ctx: TransferContext, peer: PeerSession, index: number, begin: number, block: Uint8Array): void {
  const picker = ctx.picker, storage = ctx.storage;
  if (!picker || !storage) return;
  const now = ctx.runtime.clock.now();
  peer.download.add(block.length, now);
  // Any block, a late copy too, shows the peer is sending: its timeout restarts. A snubbed
  // peer gets more requests once it has answered the one it had (the late ones came first).
  peer.lastBlockAt = now;
  if (peer.fastStartAt === undefined) {
    peer.fastStartAt = now;
    peer.fastStartBlocks = 0;
  }
  peer.fastStartBlocks++;
  if (peer.snubbed && peer.conn.outstandingRequests.size === 0) peer.snubbed = false;
  const took = takeBlock(ctx, peer, index, begin, block);
  fillRequests(ctx, peer);
  if (took) serveWaiting(ctx);
}

/**
 * A block from a peer or a web seed: counted, the other requesters of an end-game duplicate
 * cancelled, written, and its piece verified once complete. False when it was not wanted (a
 * copy we already have, counted as wasted).
 */
export function takeBlock(ctx: TransferContext, from: Fetcher, index: number, begin: number, block: Uint8Array): boolean {
  const picker = ctx.picker, storage = ctx.storage;
  if (!picker || !storage) return false;
  const r = picker.blockReceived({ index, begin }, from);
  if (!r.accepted) {
    // A copy we already have (a late answer to a request we timed out, or end game): counted apart.
    ctx.totals.wasted += block.length;
    return false;
  }
  ctx.totals.downloaded += block.length;
  for (const other of r.cancel) {
    if (!('conn' in other)) continue; // a web seed's range is on its way whole; its copy counts as wasted
    other.conn.cancel(index, begin, block.length);
    other.flush();
  }
  let who = ctx.contributors.get(index);
  if (!who) ctx.contributors.set(index, (who = new Set()));
  who.add(from);
  // writeBlock copies the bytes before it returns a promise, so the receive buffer may be reused.
  const write = storage.writeBlock(index, begin, block);
  addBacklog(ctx, block.length);
  const settle = () => addBacklog(ctx, -block.length);
  write.then(settle, settle);
  let writes = ctx.pendingWrites.get(index);
  if (!writes) ctx.pendingWrites.set(index, (writes = []));
  writes.push(write);
  if (r.pieceComplete) void verify(ctx, index);
  return true;
}

async function verify(ctx: TransferContext, piece: number): Promise<void> {
  const picker = ctx.picker!, storage = ctx.storage!;
  // A verified piece is written whole after its hash: count it as backlog until it is on disk.
  const size = ctx.torrent?.layout.pieceSize(piece) ?? 0;
  addBacklog(ctx, size);
  let ok: boolean;
  try {
    await Promise.all(ctx.pendingWrites.get(piece) ?? []);
    ctx.pendingWrites.delete(piece);
    ok = await storage.verifyPiece(piece);
  } catch (e) {
    ctx.pendingWrites.delete(piece);
    picker.pieceFailed(piece);
    ctx.emit({ type: 'error', error: e as Error });
    return;
  } finally {
    addBacklog(ctx, -size);
  }
  const who = [...(ctx.contributors.get(piece) ?? [])];
  ctx.contributors.delete(piece);
  if (ok) {
    picker.pieceVerified(piece);
  } else {
    picker.pieceFailed(piece);
    ctx.emit({ type: 'piece-failed', piece, peers: who.map((p) => p.key) });
    // The sole sender of a bad piece is surely the liar; shared blame bans after a few strikes.
    for (const p of who) {
      p.strikes += who.length === 1 ? MAX_STRIKES : 1;
      if (p.strikes >= MAX_STRIKES) ctx.ban(p, `sent data that failed the hash check of piece ${piece}`);
    }
  }
  ctx.afterPiece(piece, ok, who);
}
