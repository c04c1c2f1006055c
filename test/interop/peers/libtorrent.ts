/**
 * libtorrent (python3-libtorrent 2.0) as a real peer: a seeder (test/interop/py/lt_seed.py)
 * and a leecher (lt_leech.py). Sessions are TCP only, no DHT/LSD/UPnP/NAT-PMP, no rate
 * limits, several connections per IP allowed, outgoing connections bound to the listen
 * address; see lt_session.py for the exact settings.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PY_DIR, PYTHON } from '../helpers.js';
import { dieWithParent, onCleanup, startPeerProcess } from './process.js';
import type { Cleanup, PeerProcess } from './process.js';

/**
 * plaintext (default): never *start* an encrypted handshake (accept one).
 * enabled: libtorrent's defaults — an outgoing connection first tries MSE and retries
 *   in plaintext on the next connection attempt (about a second later) if that fails.
 * forced: MSE/RC4 only, both ways.
 */
export type LtEncryption = 'plaintext' | 'enabled' | 'forced';

interface LtCommonOptions {
  /** Listen address; outgoing connections are bound to it too (default 127.0.0.1). */
  readonly host?: string;
  /** Listen port (default 0: any free port, reported back). */
  readonly port?: number;
  readonly encryption?: LtEncryption;
  /** Enable ut_pex for the torrent (the extension is always advertised). */
  readonly pex?: boolean;
  /** Print peer events ({"event": ...} lines: connects, disconnect reasons, bans, errors). */
  readonly logPeers?: boolean;
  /** Seconds between status lines (0: none). */
  readonly statusIntervalSeconds?: number;
  /** Seconds between re-dials of peers that are not connected (default 1; 0: dial once). */
  readonly redialSeconds?: number;
  /** Apply upload/download_rate_limit to loopback peers too (libtorrent exempts local peers by default). */
  readonly limitLocal?: boolean;
  /** settings_pack overrides, e.g. { send_buffer_watermark: 1048576 } (applied last). */
  readonly settings?: Readonly<Record<string, number | boolean | string>>;
  /** Stop the process when the test ends (t or a suite-level { after }). */
  readonly cleanup?: Cleanup;
  /** Run inside this network namespace (`ip netns exec`); `host` must be one of its addresses. */
  readonly netns?: string;
}

export interface LtSeederOptions extends LtCommonOptions {
  readonly torrent: string;
  /** The save path: the content must be at dataDir/<torrent name>. */
  readonly dataDir: string;
  /** HOST:PORT peers to dial once seeding (re-dialled until connected). */
  readonly connect?: readonly string[];
  /** Trust the data instead of checking every piece first (default false: check). */
  readonly seedMode?: boolean;
  /** BEP 16 super seeding (libtorrent's default non-strict mode). */
  readonly superSeed?: boolean;
  /** How long to wait for the ready line (default 60 s). */
  readonly readyTimeoutMs?: number;
}

/** lt_session.py status_obj(). */
export interface LtStatus {
  readonly state: string;
  readonly progress: number;
  readonly peers: number;
  readonly seeds: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly upRate: number;
  readonly downRate: number;
  readonly cpuSeconds: number;
  readonly maxRssKb: number;
  /** Its connections: `ip` is HOST:PORT; `pex` when it learnt of that peer over ut_pex. */
  readonly peerList: readonly { readonly ip: string; readonly pex: boolean; readonly seed: boolean }[];
}

/** One {"event": ...} line (with logPeers). */
export interface LtEvent {
  readonly event: string;
  readonly message: string;
  readonly peer?: string;
  readonly error?: string;
}

export interface LtSeeder {
  readonly host: string;
  readonly port: number;
  /** host:port, for `--peer` options. */
  readonly endpoint: string;
  readonly infoHash: string | null;
  readonly infoHashV2: string | null;
  readonly process: PeerProcess;
  /** The latest status line, if any. */
  status(): LtStatus | undefined;
  /** Peer events so far (with logPeers). */
  events(): LtEvent[];
  /** Waits for a status line satisfying `match` (needs statusIntervalSeconds > 0). */
  waitForStatus(match: (s: LtStatus) => boolean, timeoutMs: number): Promise<LtStatus>;
  /** SIGTERM; resolves with the final status line. Idempotent. */
  stop(): Promise<LtStatus | undefined>;
}

function commonArgs(o: LtCommonOptions, defaultStatusInterval: number): string[] {
  const args = ['--host', o.host ?? '127.0.0.1', '--port', String(o.port ?? 0),
    '--encryption', o.encryption ?? 'plaintext',
    '--status-interval', String(o.statusIntervalSeconds ?? defaultStatusInterval),
    '--redial', String(o.redialSeconds ?? 1)];
  if (o.pex) args.push('--pex');
  if (o.logPeers) args.push('--log-peers');
  if (o.limitLocal) args.push('--limit-local');
  for (const [k, v] of Object.entries(o.settings ?? {})) args.push('--setting', `${k}=${String(v)}`);
  return args;
}

function pythonCommand(script: string, args: readonly string[], netns?: string): [string, string[]] {
  const [cmd, argv] = dieWithParent(PYTHON, ['-u', join(PY_DIR, script), ...args]);
  return netns ? [IP, ['netns', 'exec', netns, cmd, ...argv]] : [cmd, argv];
}

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : '/sbin/ip';

function lastStatus(p: PeerProcess, key = 'status'): LtStatus | undefined {
  const lines = p.jsonLines().filter((o) => o[key] === true);
  return lines.at(-1) as LtStatus | undefined;
}

function eventsOf(p: PeerProcess): LtEvent[] {
  return p.jsonLines().filter((o) => typeof o.event === 'string') as unknown as LtEvent[];
}

/**
 * Starts lt_seed.py and waits until it has checked the data and listens. Rejects (and
 * kills the process) if it fails or is not ready within readyTimeoutMs.
 */
export async function startLibtorrentSeeder(o: LtSeederOptions): Promise<LtSeeder> {
  const args = [o.torrent, o.dataDir, ...commonArgs(o, 1)];
  for (const c of o.connect ?? []) args.push('--connect', c);
  if (o.seedMode) args.push('--seed-mode');
  if (o.superSeed) args.push('--super-seed');
  const [cmd, argv] = pythonCommand('lt_seed.py', args, o.netns);
  const proc = startPeerProcess(`libtorrent seeder ${o.host ?? '127.0.0.1'}`, cmd, argv, { cleanup: o.cleanup });
  let ready: { port: number; host: string; infoHash: string | null; infoHashV2: string | null };
  try {
    ready = await proc.waitForJson((j) => j.ready === true || j.ok === false, o.readyTimeoutMs ?? 60_000, 'ready line');
    if (!(ready as { ready?: boolean }).ready) {
      throw new Error(`lt_seed.py failed: ${(ready as { error?: string }).error ?? 'unknown error'}${proc.tail()}`);
    }
  } catch (e) {
    await proc.stop('SIGKILL');
    throw e;
  }
  let final: Promise<LtStatus | undefined> | undefined;
  return {
    host: ready.host,
    port: ready.port,
    endpoint: `${ready.host}:${ready.port}`,
    infoHash: ready.infoHash,
    infoHashV2: ready.infoHashV2,
    process: proc,
    status: () => lastStatus(proc),
    events: () => eventsOf(proc),
    waitForStatus: async (match, timeoutMs) =>
      proc.waitForJson<LtStatus>((j) => j.status === true && match(j as unknown as LtStatus), timeoutMs, 'matching status line'),
    stop: () => {
      final ??= proc.stop('SIGTERM', 3000).then(() => lastStatus(proc, 'stopped') ?? lastStatus(proc));
      return final;
    },
  };
}

export interface LtLeechOptions extends LtCommonOptions {
  /** A .torrent path or a magnet URI (its x.pe peers are used; its trackers dropped). */
  readonly source: string;
  readonly saveDir: string;
  /** HOST:PORT peers to dial (re-dialled until connected). */
  readonly peers?: readonly string[];
  /** Give up after this many seconds (default 120). */
  readonly timeoutSeconds?: number;
  /** Force a full recheck after finishing (libtorrent verifies each piece anyway). */
  readonly recheck?: boolean;
  /** Keep seeding after finishing, until stop(). */
  readonly seed?: boolean;
  /** For a magnet: stop once the metadata is received. */
  readonly metadataOnly?: boolean;
}

/** lt_leech.py's result line. */
export interface LtLeechResult {
  readonly ok: boolean;
  readonly error: string | null;
  /** From adding the torrent until every piece is hash-checked and written (includes connecting; not the recheck). */
  readonly seconds: number | null;
  readonly metadataSeconds: number | null;
  readonly recheckSeconds: number | null;
  /** Content bytes, without pad files. */
  readonly bytes: number | null;
  /** Payload bytes received (pad bytes included). */
  readonly downloaded: number;
  /** The python process's own user + sys CPU seconds since it started (interpreter start-up included). */
  readonly cpuSeconds: number;
  /** CPU seconds between adding the torrent and finishing. */
  readonly cpuSecondsTransfer: number | null;
  readonly maxRssKb: number;
  readonly name: string | null;
  readonly infoHash: string | null;
  readonly infoHashV2: string | null;
  readonly numPieces: number | null;
  readonly verifiedPieces: number | null;
}

export interface LtLeecher {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  readonly process: PeerProcess;
  /** The result line (resolves with ok: false on failure; rejects only if the script died without one). */
  readonly result: Promise<LtLeechResult>;
  events(): LtEvent[];
  stop(): Promise<void>;
}

/**
 * Starts lt_leech.py and resolves once it listens (so a seeder can dial `endpoint`); the
 * download result comes later on `result`. With `seed`, the process keeps running after
 * the result until stop().
 */
export async function startLibtorrentLeecher(o: LtLeechOptions): Promise<LtLeecher> {
  const timeoutSeconds = o.timeoutSeconds ?? 120;
  const args = [o.source, o.saveDir, ...commonArgs(o, 0), '--timeout', String(timeoutSeconds)];
  for (const p of o.peers ?? []) args.push('--peer', p);
  if (o.recheck) args.push('--recheck');
  if (o.seed) args.push('--seed');
  if (o.metadataOnly) args.push('--metadata-only');
  const [cmd, argv] = pythonCommand('lt_leech.py', args, o.netns);
  const proc = startPeerProcess(`libtorrent leecher ${o.host ?? '127.0.0.1'}`, cmd, argv, { cleanup: o.cleanup });
  let ready: { port: number; host: string };
  try {
    ready = await proc.waitForJson((j) => j.ready === true || j.ok === false, 30_000, 'ready line');
    if (!(ready as { ready?: boolean }).ready) {
      throw new Error(`lt_leech.py failed: ${(ready as { error?: string }).error ?? 'unknown error'}${proc.tail()}`);
    }
  } catch (e) {
    await proc.stop('SIGKILL');
    throw e;
  }
  const result = proc.waitForJson<LtLeechResult>((j) => typeof j.ok === 'boolean', (timeoutSeconds + 90) * 1000, 'result line')
    .catch(async (e: unknown) => {
      await proc.stop('SIGKILL');
      throw e;
    });
  result.catch(() => undefined); // observed by the caller; never an unhandled rejection here
  return {
    host: ready.host,
    port: ready.port,
    endpoint: `${ready.host}:${ready.port}`,
    process: proc,
    result,
    events: () => eventsOf(proc),
    stop: async () => {
      await proc.stop('SIGTERM', 3000);
    },
  };
}

/** Runs lt_leech.py to completion and returns its result (ok: false on failure or timeout). */
export async function runLibtorrentLeecher(o: LtLeechOptions): Promise<LtLeechResult & { readonly events: LtEvent[] }> {
  const l = await startLibtorrentLeecher({ ...o, seed: false });
  try {
    const r = await l.result;
    await l.process.exited;
    return { ...r, events: l.events() };
  } finally {
    await l.stop();
  }
}

/** Stops `x` when the test ends (for handles created without `cleanup`). */
export function stopOnCleanup(cleanup: Cleanup, x: { stop(): Promise<unknown> }): void {
  onCleanup(cleanup, () => x.stop());
}
