/** `shoal seed <torrent> <path-to-data>`: check the data and seed it until interrupted. */
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { PieceLayout } from '../metainfo/layout.js';
import type { Torrent } from '../metainfo/torrent.js';
import { ShoalError } from '../errors.js';
import { readSource, runSwarm } from './get.js';
import { addEncryptionOption, collect, defaultStateDir, parseEncryption, parseHostPort } from './net-args.js';

interface SeedFlags {
  listen?: string;
  peer: string[];
  stateDir?: string;
  tracker: string[];
  dhtBootstrap: string[];
  /** commander's --no-dht sets dht to false. */
  dht: boolean;
  encryption?: string;
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
    .option('--state-dir <dir>', 'where resume data is kept (default $SHOAL_STATE_DIR or ~/.local/state/shoal)');
  addEncryptionOption(cmd)
    .action(async (torrentPath: string, path: string, flags: SeedFlags) => {
      const encryption = parseEncryption(flags.encryption);
      const source = readSource(torrentPath);
      if (!source.torrent) throw new ShoalError('seed needs a .torrent file, not a magnet link');
      await runSwarm({
        source: { torrent: renamedSingleFile(source.torrent, basename(path)) },
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
        encryption,
        mode: 'seed',
      });
    });
}

/**
 * A single-file torrent whose one file is named `name` on disk (the data may be named
 * differently from the torrent). The storage places a single file by its layout path, which
 * a save name alone does not change; the info dict, and so the info hash, stays as it is.
 */
function renamedSingleFile(torrent: Torrent, name: string): Torrent {
  if (torrent.multiFile || name === torrent.name) return torrent;
  const files = torrent.layout.files.map((f) => (f.pad ? f : { ...f, path: [name] }));
  return { ...torrent, layout: new PieceLayout(files, torrent.layout.pieceLength) };
}
