/** `shoal info <torrent-file|magnet> [--json]`: what a torrent or magnet link describes. */
import type { Command } from 'commander';
import { formatMagnet, parseMagnet, type Magnet } from '../metainfo/magnet.js';
import { realFiles, type Torrent } from '../metainfo/torrent.js';
import { formatBytes, hex } from './output.js';
import { parseTorrentFile } from './torrent-file.js';

/** The `--json` shape (documented in docs/cli.md). */
export interface InfoJson {
  kind: 'torrent' | 'magnet';
  infoHash: string | null;
  infoHashV2: string | null;
  version: 'v1' | 'v2' | 'hybrid' | null;
  name: string | null;
  length: number | null;
  pieceLength: number | null;
  pieceCount: number | null;
  files: { path: string; length: number }[];
  trackers: string[];
  trackerTiers: string[][];
  webSeeds: string[];
  private: boolean;
  comment: string | null;
  createdBy: string | null;
  creationDate: number | null;
  peers: string[];
  magnet: string;
}

export function torrentMagnet(t: Torrent): Magnet {
  return {
    infoHashV1: t.infoHashV1,
    infoHashV2: t.infoHashV2,
    name: t.name,
    trackers: t.trackers.flat(),
    peers: [],
    webSeeds: [],
  };
}

export function torrentJson(t: Torrent): InfoJson {
  return {
    kind: 'torrent',
    infoHash: hex(t.infoHashV1),
    infoHashV2: hex(t.infoHashV2),
    version: t.version,
    name: t.name,
    length: t.length,
    pieceLength: t.pieceLength,
    pieceCount: t.pieceCount,
    files: realFiles(t).map((f) => ({ path: f.path.join('/'), length: f.length })),
    trackers: t.trackers.flat(),
    trackerTiers: t.trackers,
    webSeeds: t.webSeeds,
    private: t.private,
    comment: t.comment ?? null,
    createdBy: t.createdBy ?? null,
    creationDate: t.creationDate ?? null,
    peers: [],
    magnet: formatMagnet(torrentMagnet(t)),
  };
}

export function magnetJson(m: Magnet): InfoJson {
  return {
    kind: 'magnet',
    infoHash: hex(m.infoHashV1),
    infoHashV2: hex(m.infoHashV2),
    version: m.infoHashV1 && m.infoHashV2 ? 'hybrid' : m.infoHashV2 ? 'v2' : 'v1',
    name: m.name ?? null,
    length: null,
    pieceLength: null,
    pieceCount: null,
    files: [],
    trackers: m.trackers,
    trackerTiers: m.trackers.map((t) => [t]),
    webSeeds: m.webSeeds,
    private: false,
    comment: null,
    createdBy: null,
    creationDate: null,
    peers: m.peers.map((p) => (p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`)),
    magnet: formatMagnet(m),
  };
}

function human(j: InfoJson): string {
  const rows: [string, string | number | null][] = [
    ['name', j.name],
    ['kind', j.kind === 'magnet' ? 'magnet link' : `${j.version} torrent${j.private ? ' (private)' : ''}`],
    ['info hash v1', j.infoHash],
    ['info hash v2', j.infoHashV2],
    ['size', j.length === null ? null : `${formatBytes(j.length)} (${j.length} bytes) in ${j.files.length} file${j.files.length === 1 ? '' : 's'}`],
    ['pieces', j.pieceCount === null ? null : `${j.pieceCount} x ${formatBytes(j.pieceLength ?? 0)}`],
    ['comment', j.comment],
    ['created by', j.createdBy],
    ['created', j.creationDate === null ? null : new Date(j.creationDate * 1000).toISOString()],
  ];
  const out = rows.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k.padEnd(13)} ${v}`);
  if (j.trackers.length) out.push('trackers', ...j.trackerTiers.map((tier, i) => `  tier ${i}: ${tier.join(' ')}`));
  if (j.peers.length) out.push('peers', ...j.peers.map((p) => `  ${p}`));
  if (j.files.length > 1) {
    out.push('files');
    const shown = j.files.slice(0, 50);
    for (const f of shown) out.push(`  ${formatBytes(f.length).padStart(10)}  ${f.path}`);
    if (j.files.length > shown.length) out.push(`  ... and ${j.files.length - shown.length} more (use --json for all)`);
  }
  out.push(`magnet        ${j.magnet}`);
  return out.join('\n');
}

export function readTorrentOrMagnet(arg: string): InfoJson {
  if (arg.startsWith('magnet:')) return magnetJson(parseMagnet(arg));
  return torrentJson(parseTorrentFile(arg));
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show what a .torrent file or magnet link describes')
    .argument('<torrent-or-magnet>', '.torrent file path or magnet: URI')
    .option('--json', 'print one JSON object')
    .action((arg: string, flags: { json?: boolean }) => {
      const j = readTorrentOrMagnet(arg);
      process.stdout.write((flags.json ? JSON.stringify(j, null, 2) : human(j)) + '\n');
    });
}
