/** `shoal get <torrent|magnet> -o <dir>`: download, verify, exit 0 when complete (or keep seeding). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ShoalError } from '../errors.js';
import { parseMagnet, type Magnet } from '../metainfo/magnet.js';
import { parseTorrent, type Torrent } from '../metainfo/torrent.js';
import { createNodeRuntime } from '../runtime/node/index.js';
import { withUtp } from '../transport/dual-streams.js';
import { formatAddress } from '../runtime/types.js';
import { Session } from '../session/session.js';
import { wrapInfo } from '../swarm/metadata-exchange.js';
import { startDhtPeers, type DhtPeerSource } from './dht-peers.js';
import { startCliPortMapping } from './port-mapping.js';
import type { Swarm, SwarmEvent } from '../swarm/swarm.js';
import { addEncryptionOption, collect, defaultStateDir, parseEncryption, parseHostPort } from './net-args.js';
import type { EncryptionOptions } from '../transport/mse/index.js';
import { formatBytes } from './output.js';
import { startSwarmAnnouncer, type SwarmAnnouncer } from './tracker.js';
import { StatusLine, progressLine } from './progress.js';
import { newPeerSourceState, noPeersHint, noteTrackerEvent, peerHintDelayMs } from './peer-hint.js';
import { ensureWritableDir } from './save-path.js';
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
  encryption?: string;
}

export function registerGet(program: Command): void {
  const cmd = program
    .command('get')
    .description('download a torrent or magnet link into a directory')
    .argument('<torrent-or-magnet>', '.torrent file or magnet: URI')
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
    .option('--state-dir <dir>', 'where resume data is kept (default $SHOAL_STATE_DIR or ~/.local/state/shoal)');
  addEncryptionOption(cmd)
    .action(async (arg: string, flags: GetFlags) => {
      const encryption = parseEncryption(flags.encryption);
      const source = readSource(arg);
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
        encryption,
      });
    });
}

export type Source = { torrent: Torrent; magnet?: undefined } | { magnet: Magnet; torrent?: undefined };

export function readSource(arg: string): Source {
  if (arg.startsWith('magnet:')) return { magnet: parseMagnet(arg) };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(arg);
  } catch {
    throw new ShoalError(`${arg}: no such file`);
  }
  return { torrent: parseTorrent(bytes) };
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
  /** `--encryption` (default: the session's, `prefer`). */
  encryption?: EncryptionOptions;
  /** `seed`: the data must already be there (checked up front), and the exit wording is seed's. Default `get`. */
  mode?: 'get' | 'seed';
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
  const session = await Session.create({ runtime, stateDir: o.stateDir, listen: o.listen, encryption: o.encryption });
  const status = new StatusLine();
  let swarm: Swarm | undefined;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  let failure: Error | undefined;
  let announcer: SwarmAnnouncer | undefined;
  let dhtPeers: DhtPeerSource | undefined;
  let hintTimer: NodeJS.Timeout | undefined;
  const tiers = [...(o.source.torrent?.trackers ?? (o.source.magnet?.trackers.length ? [o.source.magnet.trackers] : [])), ...(o.trackers ?? []).map((u) => [u])];
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await session.close();
    utp?.close();
    node.close();
  };
  const sources = newPeerSourceState({ trackers: tiers.some((t) => t.length > 0), dht: !o.noDht, manualPeers: o.peers.map(formatAddress) });

  const verbose = process.argv.includes('--verbose');
  const onEvent = (e: SwarmEvent) => {
    if (e.type === 'peer-connected' && verbose) {
      status.done();
      process.stderr.write(`peer ${e.address} connected over ${e.transport === 'utp' ? 'uTP' : 'TCP'}\n`);
    }
    if (e.type === 'complete') announcer?.completed(); // trackers: BEP 3 'completed'
    if (e.type === 'complete' && !o.keepSeeding) finish(0);
    if (e.type === 'error') {
      failure = e.error;
      finish(1);
    }
    if (e.type === 'peer-banned') {
      status.done();
      process.stderr.write(`banned ${e.address}: ${e.reason}\n`);
    }
    if (e.type === 'metadata') {
      const dir = join(o.stateDir, 'torrents');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${e.torrent.name}.torrent`), wrapInfo(e.torrent.infoBytes));
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
    swarm = await session.addTorrent({ torrent: o.source.torrent, magnet: o.source.magnet, downloadDir: o.downloadDir, saveName: o.saveName, onEvent });
    if (presence) {
      const s = swarm.stats();
      const where = join(o.downloadDir, o.saveName ?? swarm.torrent?.name ?? '');
      if (s.have === 0 && s.total > 0) {
        throw new SeedDataError(`${where}: none of the data matches the torrent (0 of ${s.total} pieces verified${presence.missing.length ? `; ${describeMissing(presence)}` : ''}); is it the right data?`);
      }
      if (s.have < s.total) {
        process.stderr.write(`${where} holds ${s.have} of ${s.total} pieces${presence.missing.length ? ` (${describeMissing(presence)})` : ''}; seeding those and downloading the rest from peers\n`);
      }
    }
    if (o.announceListen && session.listenAddress) process.stdout.write(`listening on ${formatAddress(session.listenAddress)}\n`);
    for (const p of o.peers) swarm.addPeer(p, 'manual');
    // trackers: announce started / periodic / completed / stopped; peers go to the swarm.
    // Not awaited: resolving the default routers must not hold up peers we already have.
    const dhtStarting = o.noDht ? undefined : startDhtPeers({ runtime, swarm, host: o.listen.host, port: session.listenAddress?.port ?? o.listen.port, bootstrap: o.dhtBootstrap ?? [] });
    void dhtStarting?.then((d) => {
      dhtPeers = d;
      sources.dht = d ? 'running' : 'unavailable';
    });
    // Not awaited either: start-up never waits for the router.
    const natStarting = o.noPortMapping ? undefined : startCliPortMapping(runtime, { listenHost: o.listen.host, port: session.listenAddress?.port ?? o.listen.port, udp: !o.noDht || o.utp !== false, log: (l) => { status.done(); process.stderr.write(`${l}\n`); } }).catch(() => undefined);
    announcer = startSwarmAnnouncer({ runtime, swarm, peerId: session.peerId, host: o.listen.host, port: session.listenAddress?.port ?? o.listen.port, tiers, onEvent: (e) => noteTrackerEvent(sources, e) });
    const s = swarm;
    const ticker = setInterval(() => status.update(progressLine(s.stats())), 500);
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
    // A DHT node still resolving its bootstrap names is stopped once it is up; nothing waits for it.
    if (dhtPeers) dhtPeers.stop();
    else void dhtStarting?.then((d) => d?.stop());
    // trackers: 'stopped', within a few seconds; router: mappings deleted (5 s at most), alongside.
    await Promise.all([announcer?.stop(), natStarting?.then((n) => n?.stop())]);
    const stats = swarm.stats();
    status.update(progressLine(stats));
    status.done();
    await release();
    if (failure) throw failure;
    if (code === 0) {
      process.stdout.write(`complete: ${swarm.torrent?.name ?? ''} (${formatBytes(stats.bytesTotal)}), downloaded ${formatBytes(stats.downloaded)}, uploaded ${formatBytes(stats.uploaded)}\n`);
    } else if (seeding) {
      process.stderr.write(`stopped seeding ${swarm.torrent?.name ?? ''}: ${stats.have}/${stats.total} pieces, uploaded ${formatBytes(stats.uploaded)}\n`);
    } else {
      process.stderr.write(`interrupted at ${stats.have}/${stats.total} pieces; resume data saved, run the same command to continue\n`);
    }
    process.exitCode = code;
  } catch (e) {
    // Failed part way: release what was opened so the process can exit.
    clearTimeout(hintTimer);
    await announcer?.stop();
    await release().catch(() => undefined);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
