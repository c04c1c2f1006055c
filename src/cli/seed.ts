/** `shoal seed <torrent> <path-to-data>`: check the data and seed it until interrupted. */
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { ShoalError } from '../errors.js';
import { withSaveName } from '../session/session.js';
import { readSource, runSwarm } from './get.js';
import { addChokerOption, addEncryptionOption, addUnchokeSlotsOption, collect, defaultStateDir, parseChoker, parseEncryption, parseHostPort, parseUnchokeSlots } from './net-args.js';

interface SeedFlags {
  listen?: string;
  peer: string[];
  stateDir?: string;
  tracker: string[];
  dhtBootstrap: string[];
  /** commander's --no-dht sets dht to false. */
  dht: boolean;
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

export function registerSeed(program: Command): void {
  const cmd = program
    .command('seed')
    .description('seed a torrent from data on disk until interrupted')
    .argument('<torrent>', '.torrent file')
    .argument('<path>', 'the file (single-file torrent) or directory (multi-file torrent) holding the data')
    .option('--listen <host:port>', 'accept peers on this address (default 0.0.0.0:6881)')
    .option('--peer <host:port>', 'a peer to dial; repeatable', collect, [])
    .option('--tracker <url>', 'also announce to this tracker (http://, https:// or udp://); repeatable', collect, [])
    .option('--dht-bootstrap <host:port>', 'DHT node to join through; repeatable (default: the public routers)', collect, [])
    .option('--no-dht', 'do not use the DHT to find peers')
    .option('--utp', 'use uTP (BEP 29), the default: dial uTP first and TCP too when uTP does not answer; accept both on the listen port')
    .option('--no-utp', 'TCP only: do not dial or accept uTP')
    .option('--no-port-mapping', 'do not ask the router for a port mapping (PCP, NAT-PMP, UPnP)')
    .option('--no-lsd', 'do not announce on the local network (BEP 14 multicast)')
    .option('--no-pex', 'do not exchange peers with peers (BEP 11 ut_pex)')
    .option('--state-dir <dir>', 'where resume data is kept (default $SHOAL_STATE_DIR or ~/.local/state/shoal)');
  addChokerOption(addUnchokeSlotsOption(addEncryptionOption(cmd)))
    .action(async (torrentPath: string, path: string, flags: SeedFlags) => {
      const encryption = parseEncryption(flags.encryption);
      const unchokeSlots = parseUnchokeSlots(flags.unchokeSlots);
      const choker = parseChoker(flags.choker);
      const source = readSource(torrentPath);
      if (!source.torrent) throw new ShoalError('seed needs a .torrent file, not a magnet link');
      await runSwarm({
        // A single file may be named differently on disk (the session places it by that name too).
        source: { torrent: source.torrent.multiFile ? source.torrent : withSaveName(source.torrent, basename(path)) },
        downloadDir: dirname(path),
        saveName: basename(path),
        peers: flags.peer.map((p) => parseHostPort(p, '--peer')),
        listen: parseHostPort(flags.listen ?? '0.0.0.0:6881', '--listen'),
        stateDir: flags.stateDir ?? defaultStateDir(),
        keepSeeding: true,
        announceListen: true,
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
        mode: 'seed',
      });
    });
}
