/**
 * Helpers for the daemon service tests: deterministic payloads, torrents made from them, a
 * Shoal seeder session on loopback, a service over a temporary state directory, and waiting
 * for a condition the service reports.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { DaemonService } from '../../src/daemon/service/service.js';

export function payload(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Writes files under `<dir>/<name>/` and returns the torrent and its .torrent bytes. */
export async function makeTorrent(dir: string, name: string, files: readonly { path: string; length: number }[], pieceLength = 16 * 1024): Promise<{ torrent: Torrent; bytes: Uint8Array; root: string }> {
  const root = join(dir, name);
  files.forEach((f, i) => {
    const p = join(root, f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, payload(f.length, i + 7 + name.length));
  });
  const created = await createTorrent(root, { pieceLength, creationDate: null, threads: 0 });
  return { torrent: created.torrent, bytes: created.bytes, root };
}

export function hex(t: Torrent): string {
  return Buffer.from(t.infoHashV1 ?? t.infoHashV2!).toString('hex');
}

/** A Shoal session seeding `torrent` from `downloadDir` on `host`. */
export async function startSeeder(runtime: NodeRuntime, stateDir: string, host: string, torrent: Torrent, downloadDir: string): Promise<{ session: Session; swarm: Swarm; port: number }> {
  const session = await Session.create({ runtime, stateDir, listen: { host, port: 0 } });
  const swarm = await session.addTorrent({ torrent, downloadDir });
  return { session, swarm, port: session.listenAddress!.port };
}

export async function startService(stateDir: string, downloadDir: string, host = '127.0.0.1', extra: { maxActiveDownloads?: number } = {}): Promise<{ service: DaemonService; runtime: NodeRuntime }> {
  const runtime = createNodeRuntime();
  const service = await DaemonService.create({ runtime, stateDir, downloadDir, listen: { host, port: 0 }, dhtBootstrap: false, wallClock: () => Date.now() });
  if (extra.maxActiveDownloads !== undefined) await service.updateSettings({ maxActiveDownloads: extra.maxActiveDownloads });
  service.startAll();
  return { service, runtime };
}

/** Polls `check` until it returns a value other than undefined/false (rejects after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
