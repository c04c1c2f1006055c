/**
 * qBittorrent-nox 4.5 (over libtorrent-rasterbar 2.0) as a real peer, driven through its Web
 * API on loopback. A fresh profile directory is generated for each instance: the legal notice
 * accepted, the Web UI and the BitTorrent port bound to `host`, no authentication for
 * loopback clients, no DHT / LSD / PEX / UPnP, encryption off (plaintext both ways).
 *
 * Web API v2 calls used: `app/version` (ready), `torrents/add` (multipart upload of the
 * .torrent, with `savepath`), `torrents/addPeers` (dial a peer: qBittorrent can be told to),
 * `torrents/info` (state and progress).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { dieWithParent, freePort, onCleanup, startPeerProcess } from './process.js';
import type { Cleanup, PeerProcess } from './process.js';

const QBT = '/usr/bin/qbittorrent-nox';

export interface QbtOptions {
  /** Profile, config and logs go here (created). */
  readonly workDir: string;
  /** The Web UI and the BitTorrent listener bind here (default 127.0.0.1). */
  readonly host?: string;
  /** ut_pex (default off). */
  readonly pex?: boolean;
  /** MSE/PE (libtorrent's pe_* policies): disabled (the default: plaintext both ways), enabled, or required (pe_forced). */
  readonly encryption?: 'disabled' | 'enabled' | 'required';
  /** How long to wait for the Web API (default 30 s). */
  readonly readyTimeoutMs?: number;
  readonly cleanup?: Cleanup;
}

/** The fields of `torrents/info` used here. */
export interface QbtTorrentInfo {
  readonly hash: string;
  readonly state: string;
  readonly progress: number;
  readonly num_seeds: number;
  readonly num_leechs: number;
}

export interface QbtPeer {
  readonly host: string;
  /** The BitTorrent listen port. */
  readonly port: number;
  readonly endpoint: string;
  /** http://host:port of the Web UI. */
  readonly webUi: string;
  readonly process: PeerProcess;
  /** Adds a .torrent, saving to (or seeding from) `savePath` (content at savePath/<name>); resolves with nothing: use `info`. */
  add(torrent: string, savePath: string): Promise<void>;
  /** Adds a magnet URI (its metadata comes from peers: use `addPeers`), saving to `savePath`. */
  addMagnet(uri: string, savePath: string): Promise<void>;
  /** Tells it to dial HOST:PORT peers for the torrent `infoHash` (hex). */
  addPeers(infoHash: string, peers: readonly string[]): Promise<void>;
  info(infoHash: string): Promise<QbtTorrentInfo | undefined>;
  /** Polls `info` until `match`; rejects after `timeoutMs` with the last state. */
  waitFor(infoHash: string, match: (t: QbtTorrentInfo) => boolean, timeoutMs: number): Promise<QbtTorrentInfo>;
  /** SIGTERM (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

let probe: { ok: boolean; reason: string } | undefined;

/** Whether qbittorrent-nox runs here; why not otherwise (cached). */
export function qbittorrentAvailable(): { ok: boolean; reason: string } {
  if (!probe) {
    const r = spawnSync(QBT, ['--version'], { encoding: 'utf8' });
    const version = `${r.stdout ?? ''}`.match(/qBittorrent (v\S+)/)?.[1];
    probe = r.status === 0 && version
      ? { ok: true, reason: `qBittorrent ${version}` }
      : { ok: false, reason: `${QBT} is not runnable (${r.error?.message ?? `exit ${r.status}`}); run scripts/install-test-deps.sh` };
  }
  return probe;
}

/** Seeding states of qBittorrent 4.5 (complete, checked). */
export const QBT_SEEDING = new Set(['uploading', 'stalledUP', 'queuedUP', 'forcedUP', 'pausedUP']);

/** Starts qbittorrent-nox with a generated profile and waits for its Web API. */
export async function startQbittorrent(o: QbtOptions): Promise<QbtPeer> {
  const host = o.host ?? '127.0.0.1';
  const port = await freePort(host);
  const webPort = await freePort(host);
  const profile = join(o.workDir, 'profile');
  const configDir = join(profile, 'qBittorrent', 'config');
  mkdirSync(configDir, { recursive: true });
  const conf = [
    '[BitTorrent]',
    `Session\\Port=${port}`,
    'Session\\Interface=lo',
    'Session\\InterfaceName=lo',
    `Session\\InterfaceAddress=${host}`,
    'Session\\DHTEnabled=false',
    'Session\\LSDEnabled=false',
    `Session\\PeXEnabled=${o.pex ? 'true' : 'false'}`,
    `Session\\Encryption=${{ enabled: 0, required: 1, disabled: 2 }[o.encryption ?? 'disabled']}`,
    'Session\\QueueingSystemEnabled=false',
    `Session\\DefaultSavePath=${join(o.workDir, 'downloads')}`,
    'Session\\TempPathEnabled=false',
    '',
    '[LegalNotice]',
    'Accepted=true',
    '',
    '[Network]',
    'PortForwardingEnabled=false',
    '',
    '[Preferences]',
    `WebUI\\Address=${host}`,
    `WebUI\\Port=${webPort}`,
    'WebUI\\LocalHostAuth=false',
    'WebUI\\AuthSubnetWhitelistEnabled=true',
    'WebUI\\AuthSubnetWhitelist=127.0.0.0/8',
    'WebUI\\CSRFProtection=false',
    'WebUI\\HostHeaderValidation=false',
    'WebUI\\UseUPnP=false',
    'General\\Locale=en',
  ].join('\n');
  writeFileSync(join(configDir, 'qBittorrent.conf'), `${conf}\n`);
  const webUi = `http://${host}:${webPort}`;
  const [cmd, argv] = dieWithParent(QBT, [`--profile=${profile}`]);
  const proc = startPeerProcess(`qbittorrent-nox ${host}:${port}`, cmd, argv, { mergeStderr: true, env: { ...process.env, HOME: o.workDir } });
  const stop = async (): Promise<void> => {
    await proc.stop('SIGTERM', 5000);
  };
  onCleanup(o.cleanup, stop);

  const api = async (path: string, body?: FormData | URLSearchParams): Promise<string> => {
    const res = await fetch(`${webUi}/api/v2/${path}`, body ? { method: 'POST', body } : {});
    const text = await res.text();
    if (!res.ok) throw new Error(`qBittorrent ${path}: HTTP ${res.status} ${text}`);
    return text;
  };

  const end = performance.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    try {
      await api('app/version');
      break;
    } catch (e) {
      if (proc.child.exitCode !== null || performance.now() > end) {
        await stop();
        throw new Error(`qbittorrent-nox: no Web API at ${webUi}: ${(e as Error).message}${proc.tail()}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const info = async (infoHash: string): Promise<QbtTorrentInfo | undefined> => {
    const list = JSON.parse(await api(`torrents/info?hashes=${infoHash}`)) as QbtTorrentInfo[];
    return list[0];
  };

  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    webUi,
    process: proc,
    add: async (torrent, savePath) => {
      const form = new FormData();
      form.append('torrents', new Blob([readFileSync(torrent)]), basename(torrent));
      form.append('savepath', savePath);
      const text = await api('torrents/add', form);
      if (!/^Ok/i.test(text)) throw new Error(`qBittorrent torrents/add: ${text}`);
    },
    addMagnet: async (uri, savePath) => {
      const form = new FormData();
      form.append('urls', uri);
      form.append('savepath', savePath);
      const text = await api('torrents/add', form);
      if (!/^Ok/i.test(text)) throw new Error(`qBittorrent torrents/add: ${text}`);
    },
    addPeers: async (infoHash, peers) => {
      // qBittorrent adds a torrent asynchronously and ignores peers for a hash it does not know
      // yet (or drops them while it checks files): wait until it lists the torrent, past checking.
      const stopAt = performance.now() + 30_000;
      for (;;) {
        const t = await info(infoHash);
        if (t && !/^(checking|allocating|moving)/.test(t.state)) break;
        if (performance.now() > stopAt) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await api('torrents/addPeers', new URLSearchParams({ hashes: infoHash, peers: peers.join('|') }));
    },
    info,
    waitFor: async (infoHash, match, timeoutMs) => {
      const stopAt = performance.now() + timeoutMs;
      let last: QbtTorrentInfo | undefined;
      for (;;) {
        last = await info(infoHash);
        if (last && match(last)) return last;
        if (performance.now() > stopAt) throw new Error(`qBittorrent: torrent ${infoHash} not as expected within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop,
  };
}
