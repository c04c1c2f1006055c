/** GET /api/torrents/:id: the details of one torrent (files, peers, trackers, piece bitfield). */
import { formatMagnet, parseMagnet } from '../../metainfo/magnet.js';
import type { PeerSnapshot } from '../../swarm/swarm.js';
import type { FilePage, PeerInfo, SeedingDetails, Settings, TorrentDetails } from '../types.js';
import { effectiveLimit, shareRatio } from './seed-limits.js';
import type { TorrentEntry } from './torrent-entry.js';

/** The details with the seeding figures and limits in force under settings `s`. */
export function detailsWithSeeding(e: TorrentEntry, now: number, s: Settings, files?: FilePage): TorrentDetails {
  const d = torrentDetails(e, now, files);
  const r = e.record;
  return {
    ...d,
    ratio: shareRatio(d.uploaded, d.downloaded, d.size),
    seedingTime: Math.floor((r.seedingMs ?? 0) / 1000),
    seedRatioLimit: r.seedRatioLimit ?? null,
    seedTimeLimit: r.seedTimeLimit ?? null,
    effectiveSeedRatioLimit: effectiveLimit(r.seedRatioLimit, s.seedRatioLimit),
    effectiveSeedTimeLimit: effectiveLimit(r.seedTimeLimit, s.seedTimeLimit),
  };
}

/** Files listed when no page is asked for (the API's `maxFilesPerPage`). */
const DEFAULT_FILE_PAGE: FilePage = { offset: 0, limit: 10_000 };

export function torrentDetails(entry: TorrentEntry, now: number, page: FilePage = DEFAULT_FILE_PAGE): Omit<TorrentDetails, keyof SeedingDetails> {
  const t = entry.metadata();
  const have = entry.have();
  const summary = entry.summary(now);
  const peers = entry.swarm ? entry.swarm.peerList().map((p) => peerInfo(p, t?.pieceCount ?? 0)) : [];
  // BEP 19 web seeds in use (a dropped one is no longer a source).
  for (const w of entry.swarm?.webSeedList() ?? []) {
    if (w.dropped === undefined) peers.push({ address: w.url, kind: 'webseed', client: 'web seed', downloadRate: w.downloadRate, uploadRate: 0, progress: 1, flags: w.requests > 0 ? 'D' : '' });
  }
  return {
    ...summary,
    magnet: magnetOf(entry),
    infoHashes: infoHashesOf(entry),
    pieceLength: t?.pieceLength ?? 0,
    pieceCount: t?.pieceCount ?? 0,
    pieces: Buffer.from(have?.bytes ?? new Uint8Array()).toString('base64'),
    files: entry.files(page),
    fileCount: entry.fileCount(),
    fileOffset: page.offset,
    peerList: peers,
    trackers: entry.trackerList(),
    limits: { downloadRateLimit: entry.record.downloadLimit ?? 0, uploadRateLimit: entry.record.uploadLimit ?? 0 },
  };
}

/** v1 and v2 info hashes in hex, from the torrent or, before its metadata, from the magnet link. */
function infoHashesOf(entry: TorrentEntry): TorrentDetails['infoHashes'] {
  let v1 = entry.torrent?.infoHashV1, v2 = entry.torrent?.infoHashV2;
  if (!entry.torrent && entry.record.magnet) {
    try {
      ({ infoHashV1: v1, infoHashV2: v2 } = parseMagnet(entry.record.magnet));
    } catch {
      // A saved magnet that no longer parses: the summary's infoHash still names the torrent.
    }
  }
  const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));
  return { v1: hex(v1), v2: hex(v2) };
}

function magnetOf(entry: TorrentEntry): string {
  const t = entry.torrent;
  if (t) return formatMagnet({ infoHashV1: t.infoHashV1, infoHashV2: t.infoHashV2, name: t.name, trackers: t.trackers.flat(), peers: [], webSeeds: [] });
  if (entry.record.magnet) {
    try {
      return formatMagnet({ ...parseMagnet(entry.record.magnet), peers: [] });
    } catch {
      return entry.record.magnet;
    }
  }
  return '';
}

function peerInfo(p: PeerSnapshot, pieceCount: number): PeerInfo {
  let flags = '';
  if (p.amInterested) flags += p.peerChoking ? 'd' : 'D';
  if (p.peerInterested) flags += p.amChoking ? 'u' : 'U';
  if (p.incoming) flags += 'I';
  if (p.encryption) flags += p.encryption === 'rc4' ? 'E' : 'e';
  if (p.transport === 'utp') flags += 'P';
  return {
    address: p.address,
    client: clientName(p.clientVersion, p.peerId),
    downloadRate: p.downloadRate,
    uploadRate: p.uploadRate,
    progress: p.isSeed ? 1 : pieceCount > 0 ? p.piecesHave / pieceCount : 0,
    flags,
    transport: p.transport,
  };
}

/** The extension handshake's `v`, else the Azureus-style peer id prefix (`-qB4250-` → `qB 4250`). */
function clientName(v: string | undefined, peerId: Uint8Array | undefined): string {
  if (v) return v;
  if (!peerId) return '';
  const s = Buffer.from(peerId.subarray(0, 8)).toString('latin1');
  const m = /^-([A-Za-z]{2})([0-9A-Za-z]{4})-$/.exec(s);
  return m ? `${m[1]} ${m[2]}` : '';
}
