/**
 * WebTorrent 1.9.7 (npm `webtorrent`, the Node client: TCP, and uTP through utp-native, a
 * libutp binding) as a seeder or leecher on loopback, run by webtorrent-peer.ts in a child.
 *
 * Things to know (measured with webtorrent 1.9.7 on Node 20):
 * - It listens on every address (`::`), port chosen by us; it cannot bind one 127.0.0.x, and
 *   its outgoing connections come from 127.0.0.1.
 * - With `utp` on it accepts uTP, but dials peers given by hand over TCP first.
 * - v1 only: 1.x reads no v2 or hybrid metadata.
 * - 2.x and 3.x need Node 22 and a native WebRTC build that downloads at install; 1.9.7
 *   installs from the registry alone.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { dieWithParent, freePort, onCleanup, startPeerProcess, type Cleanup, type PeerProcess } from './process.js';
import type { WebTorrentPeerConfig } from './webtorrent-peer.js';

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'webtorrent-peer.js');

export interface WebTorrentOptions {
  readonly torrent: string;
  readonly dir: string;
  readonly mode: 'seed' | 'leech';
  readonly peers?: readonly string[];
  readonly utp?: boolean;
  readonly cleanup?: Cleanup;
}

export interface WebTorrentPeer {
  readonly port: number;
  /** 127.0.0.1:port (it listens on every address). */
  readonly endpoint: string;
  readonly process: PeerProcess;
  /** Resolves when the download is complete; seconds since start. */
  waitForComplete(timeoutMs: number): Promise<{ seconds: number }>;
  /** The transports of the connections it has had ('tcpIncoming', 'utpIncoming', 'tcpOutgoing', ...). */
  wireTypes(): string[];
  stop(): Promise<void>;
}

let probe: { ok: boolean; reason: string } | undefined;

/** Whether the webtorrent package loads here (a dev dependency); why not otherwise. */
export function webtorrentAvailable(): { ok: boolean; reason: string } {
  if (!probe) {
    try {
      const req = createRequire(import.meta.url);
      const version = (req('webtorrent/package.json') as { version: string }).version;
      req('webtorrent');
      probe = { ok: true, reason: `webtorrent ${version}` };
    } catch (e) {
      probe = { ok: false, reason: `the webtorrent package does not load (${(e as Error).message}); run npm ci` };
    }
  }
  return probe;
}

export async function startWebTorrent(o: WebTorrentOptions): Promise<WebTorrentPeer> {
  const port = await freePort('127.0.0.1');
  mkdirSync(o.dir, { recursive: true });
  const cfg: WebTorrentPeerConfig = { torrent: o.torrent, dir: o.dir, peers: o.peers ?? [], utp: o.utp ?? false, port };
  const [cmd, argv] = dieWithParent(process.execPath, [RUNNER, JSON.stringify(cfg)]);
  const started = performance.now();
  const proc = startPeerProcess(`webtorrent ${o.mode} :${port}`, cmd, argv, { mergeStderr: true });
  const stop = async (): Promise<void> => {
    await proc.stop('SIGTERM', 3000);
  };
  onCleanup(o.cleanup, stop);
  try {
    await proc.waitForJson((j) => j.event === 'listening', 20_000, 'webtorrent listening');
    if (o.mode === 'seed') {
      const ready = await proc.waitForJson<{ progress: number }>((j) => j.event === 'ready', 30_000, 'webtorrent ready (data checked)');
      if (ready.progress !== 1) throw new Error(`webtorrent: the data in ${o.dir} did not check out as complete${proc.tail()}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    process: proc,
    async waitForComplete(timeoutMs) {
      await proc.waitForJson((j) => j.event === 'done', timeoutMs, 'webtorrent done');
      return { seconds: (performance.now() - started) / 1000 };
    },
    wireTypes: () => proc.lines.flatMap((l) => {
      try {
        const j = JSON.parse(l) as { event?: string; type?: string };
        return j.event === 'wire' && j.type ? [j.type] : [];
      } catch {
        return [];
      }
    }),
    stop,
  };
}
