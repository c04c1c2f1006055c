/**
 * Transmission 3.00 (`transmission-cli`) as a real peer, run inside a network namespace
 * (see ../netns.ts): Transmission treats all of 127.0.0.0/8 as martian and will not trade
 * with a loopback peer. The other side reaches it at `<netns.nsAddress>:<port>`, and should
 * itself listen on / dial from `netns.hostAddress` (the root-namespace end of the veth).
 *
 * Things to know (measured with 3.00 (bb6b5a062e), Debian):
 * - It cannot open v2 or hybrid torrents at all ("Failed opening torrent file"): its
 *   bencode parser rejects the empty dictionary key ('') that every BEP 52 `file tree`
 *   leaf uses. Use v1-only torrents with it.
 * - It decides to be interested only on its 10 s rechoke timer (counted from its own
 *   start), and asks for the first block about 1 s after being unchoked: expect the
 *   first request 1–11 s after connecting, then a slow ramp (an 8 MiB download took
 *   ~13–15 s in all).
 * - It is given a private config dir with DHT, LSD, uTP, PEX (unless `pex`), port
 *   forwarding, blocklists, speed limits and ratio limits off; `rename-partial-files`
 *   off (no `.part` suffix), and encryption "tolerated" (prefers plaintext) unless set.
 * - Its status line on stdout is redrawn with \r; it is run through `stdbuf -o0` so the
 *   lines arrive as they are drawn.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir } from '../helpers.js';
import { netnsAvailable } from '../netns.js';
import type { Netns } from '../netns.js';
import { dieWithParent, onCleanup, startPeerProcess } from './process.js';
import type { Cleanup, PeerProcess } from './process.js';

const TRANSMISSION_CLI = '/usr/bin/transmission-cli';

/** tolerated: prefer plaintext (accept both); preferred: prefer MSE; required: MSE only. */
export type TransmissionEncryption = 'tolerated' | 'preferred' | 'required';
const ENCRYPTION: Record<TransmissionEncryption, number> = { tolerated: 0, preferred: 1, required: 2 };

export interface TransmissionOptions {
  /** A v1 .torrent (Transmission 3.00 refuses v2 and hybrid torrents) or a magnet URI. */
  readonly torrent: string;
  /** Download dir: the content goes to (or, to seed, must already be at) <downloadDir>/<name>. */
  readonly downloadDir: string;
  /** The namespace to run in (createNetns()); the caller owns and destroys it. */
  readonly netns: Netns;
  /** Peer port inside the namespace (default 51413: each namespace has its own ports). */
  readonly port?: number;
  readonly encryption?: TransmissionEncryption;
  readonly pex?: boolean;
  /** More settings.json keys (they win over the defaults here). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** How long to wait for it to listen and start the torrent (default 20 s). */
  readonly readyTimeoutMs?: number;
  readonly cleanup?: Cleanup;
}

export interface TransmissionProgress {
  /** Percent done from the last status line (100 once seeding). */
  readonly percent: number;
  readonly seeding: boolean;
  readonly peers: number;
  readonly line: string;
}

export interface TransmissionPeer {
  readonly address: string;
  readonly port: number;
  /** address:port, for a seeder's `connect` / `--peer`. */
  readonly endpoint: string;
  readonly process: PeerProcess;
  readonly configDir: string;
  progress(): TransmissionProgress | undefined;
  /** Resolves when it reports "Seeding" (download complete and verified, or seed data checked); seconds since start(). */
  waitForSeeding(timeoutMs: number): Promise<{ seconds: number }>;
  /** SIGTERM (SIGKILL after 3 s), then removes the config dir. Idempotent. */
  stop(): Promise<void>;
}

let probe: { ok: boolean; reason: string } | undefined;
const configDirs = new Set<string>();
let exitHookInstalled = false;

/** Whether transmission-cli can be run in a namespace here; why not otherwise (cached). */
export function transmissionAvailable(): { ok: boolean; reason: string } {
  if (probe) return probe;
  const ns = netnsAvailable();
  if (!ns.ok) {
    probe = ns;
    return probe;
  }
  const r = spawnSync(TRANSMISSION_CLI, ['--version'], { encoding: 'utf8' });
  const version = `${r.stdout ?? ''}${r.stderr ?? ''}`.match(/transmission-cli (\S+)/)?.[1];
  probe = r.status === 0 && version
    ? { ok: true, reason: `transmission-cli ${version}` }
    : { ok: false, reason: `${TRANSMISSION_CLI} is not runnable (${r.error?.message ?? `exit ${r.status}`}); run scripts/install-test-deps.sh` };
  return probe;
}

const PROGRESS = /Progress: ([\d.]+)%, dl from \d+ of (\d+) peers/;
const SEEDING = /Seeding, uploading to \d+ of (\d+) peer/;
const FAILURE = /Failed opening torrent|ERROR:|^Error:/;

function parseProgress(line: string): TransmissionProgress | undefined {
  let m = PROGRESS.exec(line);
  if (m) return { percent: Number(m[1]), seeding: false, peers: Number(m[2]), line: line.trim() };
  m = SEEDING.exec(line);
  if (m) return { percent: 100, seeding: true, peers: Number(m[1]), line: line.trim() };
  return undefined;
}

/** Polls until something listens on TCP `port` inside the namespace. */
async function waitListening(netns: Netns, port: number, timeoutMs: number, proc: PeerProcess): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.exitStatus) throw new Error(`transmission-cli exited (${proc.exitStatus.signal ?? `code ${proc.exitStatus.code}`})${proc.tail()}`);
    const r = netns.execSync('ss', ['-Htln4', `sport = :${port}`]);
    if (r.status === 0 && r.stdout.includes('LISTEN')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`transmission-cli is not listening on port ${port} in ${netns.name} after ${timeoutMs} ms${proc.tail()}`);
}

/**
 * Starts transmission-cli inside `netns` on `torrent`, with a fresh private config dir,
 * and waits until it listens and has started the torrent (after checking any existing
 * data). Kills it and rejects on failure.
 */
export async function startTransmission(o: TransmissionOptions): Promise<TransmissionPeer> {
  const port = o.port ?? 51413;
  const configDir = makeTempDir('shoal-transmission-');
  configDirs.add(configDir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of configDirs) removeDir(d);
    });
  }
  mkdirSync(o.downloadDir, { recursive: true });
  const settings: Record<string, unknown> = {
    'dht-enabled': false,
    'lpd-enabled': false,
    'utp-enabled': false,
    'pex-enabled': o.pex ?? false,
    'port-forwarding-enabled': false,
    'blocklist-enabled': false,
    'rpc-enabled': false,
    'speed-limit-down-enabled': false,
    'speed-limit-up-enabled': false,
    'alt-speed-enabled': false,
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'encryption': ENCRYPTION[o.encryption ?? 'tolerated'],
    'peer-port': port,
    'peer-port-random-on-start': false,
    'download-dir': o.downloadDir,
    'incomplete-dir-enabled': false,
    'rename-partial-files': false,
    'start-added-torrents': true,
    'message-level': 2,
    ...o.settings,
  };
  writeFileSync(join(configDir, 'settings.json'), JSON.stringify(settings, null, 2));
  const encFlag = { tolerated: '-et', preferred: '-ep', required: '-er' }[o.encryption ?? 'tolerated'];
  const [inner, innerArgs] = dieWithParent('/usr/bin/stdbuf',
    ['-o0', TRANSMISSION_CLI, '-g', configDir, '-w', o.downloadDir, '-p', String(port), encFlag, '-D', '-U', '-M', '-B', o.torrent]);
  const [cmd, args] = o.netns.wrap(inner, innerArgs);
  const started = performance.now();
  const proc = startPeerProcess(`transmission-cli in ${o.netns.name}`, cmd, args, { lineBreak: /[\r\n]/, mergeStderr: true });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= proc.stop('SIGTERM', 3000).then(() => {
      removeDir(configDir);
      configDirs.delete(configDir);
    });
    return stopped;
  };
  onCleanup(o.cleanup, stop);
  try {
    const timeout = o.readyTimeoutMs ?? 20_000;
    const line = await proc.waitForLine((l) => PROGRESS.test(l) || SEEDING.test(l) || FAILURE.test(l), timeout, 'a status line');
    if (FAILURE.test(line)) {
      const hint = /Failed opening/.test(line) ? ' (Transmission 3.00 cannot open v2 or hybrid torrents; use a v1 torrent)' : '';
      throw new Error(`transmission-cli: ${line.trim()}${hint}${proc.tail()}`);
    }
    await waitListening(o.netns, port, timeout, proc);
  } catch (e) {
    await stop();
    throw e;
  }
  let latest: TransmissionProgress | undefined;
  for (const l of proc.lines) latest = parseProgress(l) ?? latest;
  proc.onLine((l) => {
    latest = parseProgress(l) ?? latest;
  });
  return {
    address: o.netns.nsAddress,
    port,
    endpoint: `${o.netns.nsAddress}:${port}`,
    process: proc,
    configDir,
    progress: () => latest,
    waitForSeeding: async (timeoutMs) => {
      await proc.waitForLine(SEEDING, timeoutMs, '"Seeding" (download complete)');
      return { seconds: (performance.now() - started) / 1000 };
    },
    stop,
  };
}
