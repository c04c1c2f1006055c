/**
 * rtorrent 0.9 (libtorrent-rakshasa, a separate implementation from libtorrent-rasterbar) as a
 * real peer, seeder or leecher, on loopback. Runs headless (`system.daemon.set = true`) from a
 * generated rc file: `rtorrent -n -o import=<rc>`.
 *
 * Things to know (measured with Debian's rtorrent 0.9.8 / libtorrent 0.13.8):
 * - It refuses a torrent without an announce URL ("Could not find any trackers"): give the
 *   torrent one (a dead or a test tracker).
 * - It cannot be told to dial a peer: the other side dials it (it listens on `host:port`), or
 *   it finds peers through the torrent's tracker.
 * - It has no v2: hybrid torrents are read as v1 with the BEP 47 pad files as real files.
 * - It hash-checks a torrent on load; `event.download.hash_done` and
 *   `event.download.finished` are turned into marker files this module waits for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dieWithParent, freePort, onCleanup, startPeerProcess } from './process.js';
import type { Cleanup, PeerProcess } from './process.js';

const RTORRENT = '/usr/bin/rtorrent';

export interface RtorrentOptions {
  /** A v1 .torrent with an announce URL. */
  readonly torrent: string;
  /** The content is (to seed) or goes (to leech) at <dir>/<name>. */
  readonly dir: string;
  /** Where its rc file, session, log and markers go (created). */
  readonly workDir: string;
  /** Listen (and connect from) this address (default 127.0.0.1). */
  readonly host?: string;
  readonly port?: number;
  /** ut_pex (default off). */
  readonly pex?: boolean;
  /** How long to wait for it to listen and hash-check (default 30 s). */
  readonly readyTimeoutMs?: number;
  readonly cleanup?: Cleanup;
}

export interface RtorrentPeer {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  readonly process: PeerProcess;
  /** A leecher: resolves when it has every piece (its `finished` event); seconds since start. */
  waitForComplete(timeoutMs: number): Promise<{ seconds: number }>;
  /** Its log file so far. */
  log(): string;
  /** SIGINT (SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
}

let probe: { ok: boolean; reason: string } | undefined;

/** Whether rtorrent runs here; why not otherwise (cached). */
export function rtorrentAvailable(): { ok: boolean; reason: string } {
  if (!probe) {
    const r = spawnSync(RTORRENT, ['-h'], { encoding: 'utf8' });
    const version = `${r.stdout ?? ''}`.match(/client version (\S+?)\.?$/m)?.[1];
    probe = version
      ? { ok: true, reason: `rtorrent ${version}` }
      : { ok: false, reason: `${RTORRENT} is not runnable (${r.error?.message ?? `exit ${r.status}`}); run scripts/install-test-deps.sh` };
  }
  return probe;
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

async function waitFor(what: string, timeoutMs: number, ok: () => boolean, proc: PeerProcess, log: () => string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!ok()) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`rtorrent exited before ${what}${proc.tail()}\n${log()}`);
    if (performance.now() > end) throw new Error(`rtorrent: no ${what} within ${timeoutMs} ms\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts rtorrent on `torrent` and waits until it listens and has checked its data. */
export async function startRtorrent(o: RtorrentOptions): Promise<RtorrentPeer> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? await freePort(host);
  const session = join(o.workDir, 'session');
  mkdirSync(session, { recursive: true });
  mkdirSync(o.dir, { recursive: true });
  const hashed = join(o.workDir, 'hashed'), done = join(o.workDir, 'done'), logFile = join(o.workDir, 'rtorrent.log');
  const rc = [
    `directory.default.set = ${quote(o.dir)}`,
    `session.path.set = ${quote(session)}`,
    `network.port_range.set = ${port}-${port}`,
    'network.port_random.set = no',
    `network.bind_address.set = ${host}`,
    `network.local_address.set = ${host}`,
    'dht.mode.set = disable',
    `protocol.pex.set = ${o.pex ? 'yes' : 'no'}`,
    'trackers.use_udp.set = no',
    // Plaintext both ways (the encrypted variants are tested elsewhere).
    'protocol.encryption.set = allow_incoming',
    'throttle.global_up.max_rate.set = 0',
    'throttle.global_down.max_rate.set = 0',
    'system.daemon.set = true',
    `log.open_file = "main", ${quote(logFile)}`,
    'log.add_output = "info", "main"',
    `method.set_key = event.download.hash_done, shoal_hashed, "execute.nothrow=touch,${hashed}"`,
    `method.set_key = event.download.finished, shoal_done, "execute.nothrow=touch,${done}"`,
    `load.start_verbose = ${quote(o.torrent)}`,
  ].join('\n');
  const rcPath = join(o.workDir, 'rtorrent.rc');
  writeFileSync(rcPath, `${rc}\n`);
  const [cmd, argv] = dieWithParent(RTORRENT, ['-n', '-o', `import=${rcPath}`]);
  const started = performance.now();
  const proc = startPeerProcess(`rtorrent ${host}:${port}`, cmd, argv, { mergeStderr: true, env: { ...process.env, HOME: o.workDir, TERM: 'dumb' } });
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    await proc.stop('SIGINT', 3000);
  };
  onCleanup(o.cleanup, stop);
  try {
    await waitFor('data check', o.readyTimeoutMs ?? 30_000, () => existsSync(hashed), proc, log);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    process: proc,
    waitForComplete: async (timeoutMs) => {
      await waitFor('complete download', timeoutMs, () => existsSync(done), proc, log);
      return { seconds: (performance.now() - started) / 1000 };
    },
    log,
    stop,
  };
}
