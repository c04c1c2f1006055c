/** `shoal get <torrent|magnet> -o <dir>`: download, verify, exit 0 when complete (or keep seeding). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ShoalError } from '../errors.js';
import { MAX_TORRENT_FILE_BYTES } from '../daemon/http/limits.js';
import { DEFAULT_URL_FETCH_TIMEOUT_MS, DEFAULT_URL_MAX_REDIRECTS, fetchTorrentFile, shownUrl } from '../daemon/service/url-fetch.js';
import { parseMagnet, type Magnet } from '../metainfo/magnet.js';
import { parseTorrent, type Torrent } from '../metainfo/torrent.js';
import { createNodeRuntime } from '../runtime/node/index.js';
import { withUtp } from '../transport/dual-streams.js';
import { formatAddress } from '../runtime/types.js';
import { createClient } from '../session/client.js';
import type { Session } from '../session/session.js';
import type { Logger } from '../session/logger.js';
import { wrapInfo } from '../swarm/metadata-exchange.js';
import { cliPortMapping } from './port-mapping.js';
import { dhtReadOnlyLine, holepunchLine, startNatWatch } from './nat-watch.js';
import type { Swarm, SwarmEvent } from '../swarm/swarm.js';
import { addChokerOption, addEncryptionOption, addUnchokeSlotsOption, collect, defaultStateDir, parseChoker, parseEncryption, parseHostPort, parseUnchokeSlots } from './net-args.js';
import type { EncryptionOptions } from '../transport/mse/index.js';
import { formatBytes } from './output.js';
import { StatusLine, progressLine } from './progress.js';
import { newPeerSourceState, noPeersHint, noteTrackerEvent, peerHintDelayMs } from './peer-hint.js';
import { ensureWritableDir } from './save-path.js';
import { parseTorrentFile } from './torrent-file.js';
import { makeDirsSync } from '../runtime/node/mkdirs.js';
import { neutralise, validatePathComponents } from '../storage/path-safety.js';
import { SeedDataError, checkSeedData, describeMissing } from './seed-data.js';

interface GetFlags {
  output: string;
  peer: string[];
  listen?: string;
  seed?: boolean;
  stateDir?: string;
  tracker: string[];
  dhtBootstrap: string[];
  /** commander's --no-dht sets dht to false. */
  dht: boolean;
  /** commander: true with --utp, false with --no-utp, else undefined (on). */
  utp?: boolean;
  /** commander's --no-port-mapping sets portMapping to false. */
  portMapping: boolean;
  /** commander's --no-lsd sets lsd to false. */
  lsd: boolean;
  /** commander's --no-pex sets pex to false. */
  pex: boolean;
  encryption?: string;
  unchokeSlots?: string;
  choker?: string;
}

export function registerGet(program: Command): void {
  const cmd = program
    .command('get')
    .description('download a torrent or magnet link into a directory')
    .argument('<torrent-or-magnet>', '.torrent file, http(s) URL of a .torrent, or magnet: URI')
    .option('-o, --output <dir>', 'directory to download into (files go to <dir>/<name>; default: the current directory)', '.')
    .option('--peer <host:port>', 'a peer to connect to; repeatable', collect, [])
    .option('--listen <host:port>', 'accept peers on this address (default 0.0.0.0:0, a free port)')
    .option('--seed', 'keep seeding after the download completes, until interrupted')
    .option('--tracker <url>', 'also announce to this tracker (http://, https:// or udp://); repeatable', collect, [])
    .option('--dht-bootstrap <host:port>', 'DHT node to join through; repeatable (default: the public routers)', collect, [])
    .option('--no-dht', 'do not use the DHT to find peers')
    .option('--utp', 'use uTP (BEP 29), the default: dial uTP first and TCP too when uTP does not answer; accept both on the listen port')
    .option('--no-utp', 'TCP only: do not dial or accept uTP')
    .option('--no-port-mapping', 'do not ask the router for a port mapping (PCP, NAT-PMP, UPnP)')
    .option('--no-lsd', 'do not look for peers on the local network (BEP 14 multicast)')
    .option('--no-pex', 'do not exchange peers with peers (BEP 11 ut_pex)')
    .option('--state-dir <dir>', 'where resume data is kept (default $SHOAL_STATE_DIR or ~/.local/state/shoal)');
  addChokerOption(addUnchokeSlotsOption(addEncryptionOption(cmd)))
    .action(async (arg: string, flags: GetFlags) => {
      const encryption = parseEncryption(flags.encryption);
      const unchokeSlots = parseUnchokeSlots(flags.unchokeSlots);
      const choker = parseChoker(flags.choker);
      const source = await loadSource(arg);
      await runSwarm({
        source,
        downloadDir: flags.output,
        peers: flags.peer.map((p) => parseHostPort(p, '--peer')),
        listen: parseHostPort(flags.listen ?? '0.0.0.0:0', '--listen'),
        stateDir: flags.stateDir ?? defaultStateDir(),
        keepSeeding: flags.seed === true,
        announceListen: false,
        trackers: flags.tracker,
        dhtBootstrap: flags.dhtBootstrap,
        noDht: flags.dht === false,
        utp: flags.utp !== false,
        noPortMapping: flags.portMapping === false,
        noLsd: flags.lsd === false,
        noPex: flags.pex === false,
        encryption,
        unchokeSlots,
        choker,
      });
    });
}

export type Source = { torrent: Torrent; magnet?: undefined } | { magnet: Magnet; torrent?: undefined };

/** Like readSource, and an http(s) URL is fetched (bounded as the daemon's add by URL is: 20 MiB, 30 s, 3 redirects). */
export async function loadSource(arg: string): Promise<Source> {
  if (!/^https?:\/\//i.test(arg)) return readSource(arg);
  let bytes: Uint8Array;
  try {
    bytes = await fetchTorrentFile(arg, { maxBytes: MAX_TORRENT_FILE_BYTES, timeoutMs: DEFAULT_URL_FETCH_TIMEOUT_MS, maxRedirects: DEFAULT_URL_MAX_REDIRECTS });
  } catch (e) {
    throw new ShoalError(e instanceof Error ? e.message : String(e));
  }
  try {
    return { torrent: parseTorrent(bytes) };
  } catch (e) {
    throw new ShoalError(`${shownUrl(arg)} is not a .torrent file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function readSource(arg: string): Source {
  if (arg.startsWith('magnet:')) return { magnet: parseMagnet(arg) };
  return { torrent: parseTorrentFile(arg) };
}

export interface RunSwarmOptions {
  source: Source;
  downloadDir: string;
  saveName?: string;
  peers: { host: string; port: number }[];
  listen: { host: string; port: number };
  stateDir: string;
  /** Keep running after completion (seeding) until interrupted. */
  keepSeeding: boolean;
  /** Print the listening address on stdout (seed). */
  announceListen: boolean;
  /** Extra tracker URLs (`--tracker`), announced to after the torrent's own tiers. */
  trackers?: string[];
  /** DHT bootstrap nodes (HOST:PORT); empty: the public routers. */
  dhtBootstrap?: string[];
  /** Turn the DHT off. */
  noDht?: boolean;
  /** Run uTP beside TCP (default true): dial it first, accept it on the listen port, share its UDP socket with the DHT. */
  utp?: boolean;
  /** Turn port mapping (docs/nat.md) off. */
  noPortMapping?: boolean;
  /** Turn local peer discovery (BEP 14) off; it is never used for private torrents. */
  noLsd?: boolean;
  /** Turn peer exchange (BEP 11) off: peers are neither told of others nor heard of from them. */
  noPex?: boolean;
  /** `--encryption` (default: the session's, `prefer`). */
  encryption?: EncryptionOptions;
  /** `--unchoke-slots` (default: the session's, 8). */
  unchokeSlots?: number | 'auto';
  /** `--choker` (default: the session's, tit-for-tat). */
  choker?: { policy: 'tit-for-tat' | 'tyrant' };
  /** `seed`: the data must already be there (checked up front), and the exit wording is seed's. Default `get`. */
  mode?: 'get' | 'seed';
}

/** The CLI's logger: notices on stderr (clearing the status line first); detail with SHOAL_TRACKER_LOG=1. */
function cliLogger(status: StatusLine): Logger {
  const print = (m: string): void => {
    status.done();
    process.stderr.write(`${m}\n`);
  };
  const verbose = process.env.SHOAL_TRACKER_LOG === '1';
  return { info: print, warn: (m) => verbose && print(m), debug: (m) => verbose && print(m) };
}

/** Runs one torrent until it completes (or forever when seeding); resolves with the exit code. */
export async function runSwarm(o: RunSwarmOptions): Promise<void> {
  const seeding = o.mode === 'seed';
  // Refused up front: a path we cannot write would otherwise sit at 0% with no error.
  if (!seeding) ensureWritableDir(o.downloadDir, `-o ${o.downloadDir}`);
  const presence = seeding && o.source.torrent ? checkSeedData(o.source.torrent, join(o.downloadDir, o.saveName ?? o.source.torrent.name)) : undefined;
  const node = createNodeRuntime();
  const utp = o.utp !== false ? withUtp(node) : undefined;
  const runtime = utp?.runtime ?? node;
  const status = new StatusLine();
  const verbose = process.argv.includes('--verbose');
  const logLine = (l: string): void => {
    status.done();
    process.stderr.write(`${l}\n`);
  };
  // External address and NAT type (docs/nat.md): the vote's changes said with --verbose.
  const ref: { client?: { session: Session } } = {};
  const nat = startNatWatch({ session: () => ref.client?.session, log: logLine, verbose });
  const client = await createClient(runtime, {
    onNatEvent: (e) => nat.onNatEvent(e),
    stateDir: o.stateDir,
    listen: o.listen,
    encryption: o.encryption,
    unchokeSlots: o.unchokeSlots,
    choker: o.choker,
    dht: o.noDht ? undefined : { bootstrap: o.dhtBootstrap ?? [], rounds: 'per-torrent' },
    dhtReachability: { onReadOnly: (ro) => verbose && logLine(dhtReadOnlyLine(ro)) },
    // BEP 14: peers on the local network; never for a private torrent (BEP 27). Joins in the background.
    lsd: o.noLsd || o.source.torrent?.private ? undefined : { log: verbose ? logLine : () => undefined },
    portMapping: o.noPortMapping ? undefined : cliPortMapping(runtime, { udp: o.utp !== false || !o.noDht, onMapped: (a, port, gw) => nat.onMapped(a, port, gw) }),
    logger: cliLogger(status),
  });
  ref.client = client;
  let swarm: Swarm | undefined;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  let failure: Error | undefined;
  let hintTimer: NodeJS.Timeout | undefined;
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await client.close();
    utp?.close();
    node.close();
  };
  const ownTiers = o.source.torrent?.trackers ?? (o.source.magnet?.trackers.length ? [o.source.magnet.trackers] : []);
  const hasTrackers = ownTiers.some((t) => t.length > 0) || (o.trackers ?? []).length > 0;
  const sources = newPeerSourceState({ trackers: hasTrackers, dht: !o.noDht, manualPeers: o.peers.map(formatAddress) });
  void client.whenDht().then((d) => {
    if (!o.noDht) sources.dht = d ? 'running' : 'unavailable';
  });

  // The torrent once known: given, or a magnet's metadata from a peer (the swarm's own field stays its own).
  let known: Torrent | undefined = o.source.torrent;
  const onEvent = (e: SwarmEvent) => {
    if (e.type === 'peer-connected' && verbose) logLine(`peer ${e.address} connected over ${e.transport === 'utp' ? 'uTP' : 'TCP'}`);
    if (e.type === 'complete' && !o.keepSeeding) finish(0);
    if (e.type === 'error') {
      failure = e.error;
      finish(1);
    }
    if (e.type === 'holepunch') {
      const line = holepunchLine(e.event, verbose);
      if (line) logLine(line);
    }
    if (e.type === 'peer-banned') client.logger.info(`banned ${e.address}: ${e.reason}`);
    if (e.type === 'webseed-dropped') client.logger.info(`web seed ${e.url} dropped: ${e.reason}`);
    if (verbose && e.type === 'webseed-backoff') client.logger.info(`web seed ${e.url}: ${e.reason}; retrying in ${Math.round(e.retryInMs / 1000)} s`);
    if (e.type === 'metadata') {
      known = e.torrent;
      // The name comes from a peer: a file name of its own ('/', '..', 300 bytes), and a failure is a warning, not a crash.
      const dir = join(o.stateDir, 'torrents');
      const file = join(dir, metadataFileName(e.torrent));
      try {
        makeDirsSync(dir);
        writeFileSync(file, wrapInfo(e.torrent.infoBytes));
      } catch (err) {
        client.logger.warn(`could not save the metadata to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  };
  // The first Ctrl-C stops cleanly (a bounded `stopped` announce, resume data); a second one exits at once.
  let signals = 0;
  const onSignal = () => {
    if (++signals === 1) {
      finish(130);
      return;
    }
    status.done();
    process.stderr.write('interrupted again: exiting now\n');
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Trackers (started / periodic / completed / stopped) and DHT lookups start with the torrent;
    // nothing waits for the DHT's bootstrap names or the router.
    const handle = await client.addTorrent({
      torrent: o.source.torrent, magnet: o.source.magnet, downloadDir: o.downloadDir, saveName: o.saveName, onEvent,
      limits: o.noPex ? { pex: false } : undefined,
      extraTrackers: o.trackers, onTrackerEvent: (e) => {
        noteTrackerEvent(sources, e);
        nat.onTrackerEvent(e);
      },
    });
    swarm = handle.swarm;
    if (presence) {
      const s = swarm.stats();
      const where = join(o.downloadDir, o.saveName ?? known?.name ?? '');
      if (s.have === 0 && s.total > 0) {
        throw new SeedDataError(`${where}: none of the data matches the torrent (0 of ${s.total} pieces verified${presence.missing.length ? `; ${describeMissing(presence)}` : ''}); is it the right data?`);
      }
      if (s.have < s.total) {
        process.stderr.write(`${where} holds ${s.have} of ${s.total} pieces${presence.missing.length ? ` (${describeMissing(presence)})` : ''}; seeding those and downloading the rest from peers\n`);
      }
    }
    if (o.announceListen && client.session.listenAddress) process.stdout.write(`listening on ${formatAddress(client.session.listenAddress)}\n`);
    for (const p of o.peers) swarm.addPeer(p, 'manual');
    if (verbose) for (const w of swarm.webSeedList()) client.logger.info(`web seed ${w.url}${w.dropped ? ` (not used: ${w.dropped})` : ''}`);
    const s = swarm;
    const ticker = setInterval(() => status.update(progressLine(s.stats(), known !== undefined)), 500);
    const hintMs = seeding ? undefined : peerHintDelayMs();
    if (hintMs !== undefined) {
      hintTimer = setTimeout(() => {
        const st = s.stats();
        if (st.peers > 0 || st.complete) return;
        status.done();
        process.stderr.write(noPeersHint(sources) + '\n');
      }, hintMs);
    }
    const code = await finished;
    clearInterval(ticker);
    clearTimeout(hintTimer);
    // trackers: 'stopped', within a few seconds; router: mappings deleted (5 s at most); resume data.
    await release();
    const stats = swarm.stats();
    status.update(progressLine(stats, known !== undefined));
    status.done();
    if (failure) throw failure;
    if (code === 0) {
      process.stdout.write(`complete: ${known?.name ?? ''} (${formatBytes(stats.bytesTotal)}), downloaded ${formatBytes(stats.downloaded)}, uploaded ${formatBytes(stats.uploaded)}\n`);
    } else if (seeding) {
      process.stderr.write(`stopped seeding ${known?.name ?? ''}: ${stats.have}/${stats.total} pieces, uploaded ${formatBytes(stats.uploaded)}\n`);
    } else {
      process.stderr.write(known === undefined
        ? 'interrupted before any peer sent the metadata; run the same command to try again\n'
        : `interrupted at ${stats.have}/${stats.total} pieces; resume data saved, run the same command to continue\n`);
    }
    process.exitCode = code;
  } catch (e) {
    // Failed part way: release what was opened so the process can exit.
    clearTimeout(hintTimer);
    await release().catch(() => undefined);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/**
 * `<name>.torrent` for metadata fetched from peers, as one safe file name: the torrent's name
 * is whatever the peer's info dict says (it may hold '/', be '..' or be longer than a file
 * name may be), so it is sanitised like a file of the torrent, and the info hash stands in
 * when it cannot be.
 */
export function metadataFileName(t: Pick<Torrent, 'name' | 'infoHashV1' | 'infoHashV2'>): string {
  const hash = Buffer.from((t.infoHashV1 ?? t.infoHashV2)!).toString('hex');
  let base: string;
  try {
    base = validatePathComponents([t.name])[0];
  } catch {
    base = hash;
  }
  return `${neutralise(base, 255 - '.torrent'.length)}.torrent`;
}
