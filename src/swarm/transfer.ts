/**
 * Moving blocks: filling a peer's request pipeline, taking in blocks and verifying the
 * pieces they complete (with blame for bad data), and serving a peer's requests.
 */
import type { Runtime } from '../runtime/types.js';
import type { PieceStorage } from '../storage/types.js';
import { PieceNotAvailableError } from '../storage/errors.js';
import type { PeerSession } from './peer-session.js';
import { BLOCK_LENGTH, type PiecePicker } from './piece-picker.js';
import type { SwarmEvent } from './swarm.js';

/** What the transfer functions need of the swarm. */
export interface TransferContext {
  readonly runtime: Runtime;
  readonly picker: PiecePicker<PeerSession> | undefined;
  readonly storage: PieceStorage | undefined;
  readonly contributors: Map<number, Set<PeerSession>>;
  readonly pendingWrites: Map<number, Promise<void>[]>;
  readonly totals: { downloaded: number; uploaded: number };
  /** Bytes handed to storage whose write has not finished (backpressure). */
  writeBacklog: number;
  /** Refills every peer's pipeline (after the write backlog drained). */
  refillAll(): void;
  emit(event: SwarmEvent): void;
  ban(peer: PeerSession, reason: string): void;
  afterPiece(piece: number, ok: boolean): void;
}

/** Seconds of data at the peer's current rate we keep requested (libtorrent uses 3 s). */
const QUEUE_SECONDS = 2;
const MIN_QUEUE = 16;
const MAX_QUEUE = 1000;
/**
 * Bytes of received blocks whose writes may be in flight before we stop requesting more:
 * the network can outrun the disk, and every queued block holds memory.
 */
const MAX_WRITE_BACKLOG = 24 * 1024 * 1024;
/** Strikes (shares in pieces that failed their hash) that get a peer banned. */
const MAX_STRIKES = 3;

const EMPTY = { has: () => false };

/** Keeps `rate x time` worth of requests outstanding to the peer, so one fast peer fills the link. */
export function fillRequests(ctx: TransferContext, peer: PeerSession): void {
  const picker = ctx.picker;
  const conn = peer.conn;
  if (!picker || peer.closed || conn.state !== 'open' || !conn.amInterested) return;
  if (ctx.writeBacklog > MAX_WRITE_BACKLOG) return;
  const allowed = conn.allowedFast;
  if (conn.peerChoking && allowed.size === 0) return;
  const rate = peer.download.rate(ctx.runtime.clock.now());
  const target = Math.min(MAX_QUEUE, Math.max(MIN_QUEUE, Math.ceil((rate * QUEUE_SECONDS) / BLOCK_LENGTH)));
  const want = Math.min(target - conn.outstandingRequests.size, conn.requestSlots);
  // Refill in batches (a quarter of the queue at a time): one write carries many requests.
  if (want <= 0 || (want < target / 4 && conn.outstandingRequests.size > 0)) return;
  const peerHas = conn.peerPieces ?? EMPTY;
  const has = conn.peerChoking ? { has: (i: number) => allowed.has(i) && peerHas.has(i) } : peerHas;
  const blocks = picker.pick({ peer, has, isSeed: peer.isSeed && !conn.peerChoking }, want);
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[k];
    if (!conn.request(b.index, b.begin, b.length)) {
      for (let j = k; j < blocks.length; j++) picker.requestDropped(blocks[j], peer);
      break;
    }
  }
  peer.flush();
}

export function handlePieceMessage(ctx: TransferContext, peer: PeerSession, index: number, begin: number, block: Uint8Array): void {
  const picker = ctx.picker, storage = ctx.storage;
  if (!picker || !storage) return;
  const now = ctx.runtime.clock.now();
  peer.download.add(block.length, now);
  ctx.totals.downloaded += block.length;
  const r = picker.blockReceived({ index, begin }, peer);
  if (!r.accepted) return fillRequests(ctx, peer);
  peer.lastBlockAt = now;
  for (const other of r.cancel) {
    other.conn.cancel(index, begin, block.length);
    other.flush();
  }
  let who = ctx.contributors.get(index);
  if (!who) ctx.contributors.set(index, (who = new Set()));
  who.add(peer);
  // writeBlock copies the bytes before it returns a promise, so the receive buffer may be reused.
  const write = storage.writeBlock(index, begin, block);
  ctx.writeBacklog += block.length;
  const settle = () => {
    const before = ctx.writeBacklog;
    ctx.writeBacklog -= block.length;
    if (before > MAX_WRITE_BACKLOG && ctx.writeBacklog <= MAX_WRITE_BACKLOG) ctx.refillAll();
  };
  write.then(settle, settle);
  let writes = ctx.pendingWrites.get(index);
  if (!writes) ctx.pendingWrites.set(index, (writes = []));
  writes.push(write);
  if (r.pieceComplete) void verify(ctx, index);
  fillRequests(ctx, peer);
}

async function verify(ctx: TransferContext, piece: number): Promise<void> {
  const picker = ctx.picker!, storage = ctx.storage!;
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
  ctx.afterPiece(piece, ok);
}

export function serveRequest(ctx: TransferContext, peer: PeerSession, index: number, begin: number, length: number): void {
  const picker = ctx.picker, storage = ctx.storage;
  if (!picker || !storage || !picker.have.has(index)) {
    // Asking for a piece we never announced is a protocol violation (BEP 3).
    return ctx.ban(peer, `requested piece ${index}, which we do not have`);
  }
  storage.readBlock(index, begin, length).then(
    (data) => {
      if (peer.closed) return;
      if (peer.conn.sendPiece(index, begin, data)) {
        const now = ctx.runtime.clock.now();
        peer.upload.add(length, now);
        ctx.totals.uploaded += length;
      }
      peer.flush();
    },
    (e: unknown) => {
      if (!(e instanceof PieceNotAvailableError)) ctx.emit({ type: 'error', error: e as Error });
      if (!peer.closed && peer.conn.reject(index, begin, length)) peer.flush();
    },
  );
}
