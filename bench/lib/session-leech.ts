/** What the uTP benches share: a uTP-only runtime over Node's, and one timed Session download. */
import { readFileSync, rmSync } from 'node:fs';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import type { Runtime } from '../../src/runtime/types.js';
import { Session } from '../../src/session/session.js';
import { UtpStreams } from '../../src/transport/utp/streams.js';

/** `node`'s clock, randomness and UDP, with uTP as its only stream transport. */
export function utpOnlyRuntime(node: Runtime): { runtime: Runtime; close: () => void } {
  const utp = new UtpStreams(node);
  return { runtime: { clock: node.clock, random: node.random, udp: node.udp, stream: utp }, close: () => utp.close() };
}

/**
 * Shoal downloads `torrentPath` into `out` from `peer` alone; seconds from adding the torrent
 * to completion. The session and the runtime are closed and `out` removed afterwards.
 */
export async function timedSessionDownload(o: {
  runtime: Runtime; closeRuntime: () => void; stateDir: string; out: string; torrentPath: string; peer: { host: string; port: number };
}): Promise<number> {
  const session = await Session.create({ runtime: o.runtime, stateDir: o.stateDir });
  const started = performance.now();
  let done!: () => void;
  const complete = new Promise<void>((r) => (done = r));
  const swarm = await session.addTorrent({ torrent: parseTorrent(readFileSync(o.torrentPath)), downloadDir: o.out, onEvent: (e) => e.type === 'complete' && done() });
  swarm.addPeer(o.peer);
  await complete;
  const secs = (performance.now() - started) / 1000;
  await session.close();
  o.closeRuntime();
  rmSync(o.out, { recursive: true, force: true });
  return secs;
}
