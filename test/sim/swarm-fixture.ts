/**
 * A small torrent and seeded in-memory storage for swarm tests on the simulator, and a raw
 * scripted peer stream (EXAMPLES practice 11): not a test file itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import type { ByteStream } from '../../src/runtime/types.js';
import type { SimHost } from '../../src/sim/host.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { Swarm, type SwarmOptions } from '../../src/swarm/swarm.js';
import { encodeHandshake, encodeMessage, generatePeerId, makeReserved, type WireMessage } from '../../src/wire/index.js';

export interface Fixture {
  readonly torrent: Torrent;
  readonly payload: Uint8Array;
  cleanup(): void;
}

/** A torrent of `size` pseudo-random bytes in pieces of `pieceLength`. */
export async function makeFixture(size: number, pieceLength: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-sim-fixture-'));
  const payload = new Uint8Array(size);
  let x = 11;
  for (let i = 0; i < size; i++) payload[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'data.bin'), payload);
  const torrent = (await createTorrent(join(dir, 'src', 'data.bin'), { pieceLength, creationDate: null, threads: 0 })).torrent;
  return { torrent, payload, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function seededStorage(f: Fixture): Promise<MemoryStorage> {
  const s = new MemoryStorage(f.torrent);
  const { torrent, payload } = f;
  for (let p = 0; p < torrent.pieceCount; p++) {
    const start = p * torrent.pieceLength;
    await s.writeBlock(p, 0, payload.subarray(start, Math.min(payload.length, start + torrent.pieceLength)));
    if (!(await s.verifyPiece(p))) throw new Error(`fixture piece ${p} failed`);
  }
  return s;
}

/** A swarm on a simulated host with the given storage. */
export function simSwarm(host: SimHost, f: Fixture, storage: MemoryStorage, extra: Partial<SwarmOptions> = {}): Swarm {
  const rt = host.runtime;
  return new Swarm({
    runtime: rt,
    peerId: generatePeerId(rt.random),
    torrent: f.torrent,
    openStorage: async () => ({ storage, have: storage.bitfield() }),
    ...extra,
  });
}

/** What a scripted client saw of one connection. */
export interface ClientLog {
  bytes: number;
  closedAt: number | undefined;
  closeError: string | undefined;
  endedAt: number | undefined;
}

/** Watches a raw client stream (into `log` when given): bytes received, when it ended or closed. */
export function watch(stream: ByteStream, now: () => number, log: ClientLog = { bytes: 0, closedAt: undefined, closeError: undefined, endedAt: undefined }): ClientLog {
  stream.onData((b) => (log.bytes += b.length));
  stream.onEnd(() => (log.endedAt = now()));
  stream.onClose((e) => {
    log.closedAt = now();
    log.closeError = e?.message;
  });
  return log;
}

/** Our side's handshake for `infoHash` (fast and extension bits set), optionally followed by messages. */
export function handshakeBytes(infoHash: Uint8Array, peerId: Uint8Array, then: WireMessage[] = []): Uint8Array {
  const parts = [encodeHandshake({ reserved: makeReserved({ fast: true, extensionProtocol: true }), infoHash, peerId }), ...then.map(encodeMessage)];
  return Buffer.concat(parts);
}
