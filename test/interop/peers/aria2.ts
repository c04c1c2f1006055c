/**
 * aria2 (`aria2c` 1.36) as a real BitTorrent peer, seeder or leecher, on loopback.
 *
 * Things to know (measured with aria2 1.36.0, Debian):
 * - It cannot be told to dial a peer: no option for it, and magnet `x.pe=` is ignored.
 *   Either the other side dials aria2 (it listens on `host:port`), or aria2 finds its
 *   peers through a tracker: pass `tracker` (see tracker.ts, a tiny static tracker).
 * - It knows nothing of v2: a hybrid torrent is read as v1 with the BEP 47 pad files as
 *   real files. A leecher writes `<name>/.pad/<N>` files of zeros; a seeder expects them
 *   on disk and otherwise fails its check ("Checksum error detected") and starts
 *   downloading instead (writing `<dir>/<name>.aria2` and `.pad/`). Seed v1 torrents.
 * - `--interface=<host>` binds both its listening socket and its outgoing connections.
 * - It answers an incoming handshake only after ~1 s, sends have_all (seeder) and ten
 *   allowed_fast, advertises only ut_metadata (and ut_pex if enabled), no `reqq`, and does
 *   not unchoke until its next choke round after the peer is interested.
 * - Encryption is set to accept plaintext and to start plaintext handshakes
 *   (`--bt-min-crypto-level=plain --bt-require-crypto=false`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dieWithParent, freePort, onCleanup, startPeerProcess } from './process.js';
import type { Cleanup, PeerProcess } from './process.js';

const ARIA2C = '/usr/bin/aria2c';

export interface Aria2Options {
  /** A .torrent path (a v1 torrent to seed; see above) or, for a leecher, a magnet URI (needs `tracker`). */
  readonly torrent: string;
  /** --dir: the content is (to seed) or goes (to leech) at <dir>/<name>. */
  readonly dir: string;
  /** 'seed': check the data and seed until stopped; 'leech': download. */
  readonly mode: 'seed' | 'leech';
  /** Listen and connect from this address (default 127.0.0.1). */
  readonly host?: string;
  /** Listen port (default: a free port). */
  readonly port?: number;
  /** Leecher: keep seeding after the download instead of exiting. */
  readonly seedAfter?: boolean;
  /** An announce URL to find peers through (aria2 cannot dial a given peer otherwise). */
  readonly tracker?: string;
  readonly pex?: boolean;
  /** Extra aria2c arguments (appended; they win). */
  readonly extraArgs?: readonly string[];
  /** How long to wait for it to check data and listen (default 30 s). */
  readonly readyTimeoutMs?: number;
  readonly cleanup?: Cleanup;
}

export interface Aria2Peer {
  readonly host: string;
  readonly port: number;
  readonly endpoint: string;
  readonly process: PeerProcess;
  /**
   * Leecher: resolves when the download is complete (a leecher without seedAfter exits 0;
   * with it, a SEED summary line appears); seconds since start. Rejects on failure/timeout.
   */
  waitForComplete(timeoutMs: number): Promise<{ seconds: number }>;
  /** SIGTERM (SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
}

let probe: { ok: boolean; reason: string } | undefined;

/** Whether aria2c runs here; why not otherwise (cached). */
export function aria2Available(): { ok: boolean; reason: string } {
  if (!probe) {
    const r = spawnSync(ARIA2C, ['--version'], { encoding: 'utf8' });
    const version = (r.stdout ?? '').match(/aria2 version (\S+)/)?.[1];
    probe = r.status === 0 && version
      ? { ok: true, reason: `aria2 ${version}` }
      : { ok: false, reason: `${ARIA2C} is not runnable (${r.error?.message ?? `exit ${r.status}`}); run scripts/install-test-deps.sh` };
  }
  return probe;
}

/** Starts aria2c and waits until it listens (a seeder: and has verified its data). */
export async function startAria2(o: Aria2Options): Promise<Aria2Peer> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? await freePort(host);
  mkdirSync(o.dir, { recursive: true });
  const args = [
    '--no-conf=true',
    `--dir=${o.dir}`,
    `--listen-port=${port}`,
    `--interface=${host}`,
    '--disable-ipv6=true',
    '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false',
    `--enable-peer-exchange=${o.pex ? 'true' : 'false'}`,
    '--follow-torrent=mem',
    '--file-allocation=none',
    '--bt-min-crypto-level=plain', '--bt-require-crypto=false',
    '--max-overall-upload-limit=0', '--max-overall-download-limit=0',
    '--bt-max-peers=0',
    '--enable-color=false', '--console-log-level=notice', '--summary-interval=1',
    `--stop-with-process=${process.pid}`,
  ];
  if (o.tracker) args.push(`--bt-tracker=${o.tracker}`);
  if (o.mode === 'seed') {
    args.push('--check-integrity=true', '--bt-seed-unverified=false', '--seed-ratio=0.0');
  } else if (o.seedAfter) {
    args.push('--seed-ratio=0.0');
  } else {
    args.push('--seed-time=0');
  }
  args.push(...(o.extraArgs ?? []), o.torrent);
  const [cmd, argv] = dieWithParent(ARIA2C, args);
  const started = performance.now();
  const proc = startPeerProcess(`aria2c ${o.mode} ${host}:${port}`, cmd, argv, { mergeStderr: true });
  const stop = async (): Promise<void> => {
    await proc.stop('SIGTERM', 3000);
  };
  onCleanup(o.cleanup, stop);
  try {
    const timeout = o.readyTimeoutMs ?? 30_000;
    await proc.waitForLine(/listening on TCP port/, timeout, '"listening on TCP port"');
    if (o.mode === 'seed') {
      const line = await proc.waitForLine(/Verification finished successfully|Checksum error detected/, timeout, 'the result of its data check');
      if (/Checksum error/.test(line)) {
        throw new Error(`aria2c: data check failed in ${o.dir} (a hybrid torrent's pad files are expected on disk by aria2; seed a v1 torrent)${proc.tail()}`);
      }
    }
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
      if (o.mode === 'leech' && !o.seedAfter) {
        let timer: NodeJS.Timeout | undefined;
        const exit = await Promise.race([
          proc.exited,
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (!exit) throw new Error(`aria2c: download not complete within ${timeoutMs} ms${proc.tail()}`);
        if (exit.code !== 0) throw new Error(`aria2c exited ${exit.signal ?? `code ${exit.code}`}${proc.tail()}`);
      } else {
        await proc.waitForLine(/\bSEED\(/, timeoutMs, 'a SEED summary line');
      }
      return { seconds: (performance.now() - started) / 1000 };
    },
    stop,
  };
}
