/**
 * BEP 19 web seed URLs: where each file of a torrent lives on an HTTP(S) server, and which
 * byte ranges of which files a run of the piece space needs.
 *
 * - single-file: the URL is the file itself, or a directory when it ends in `/` (+ name);
 * - multi-file: the URL is a root directory: + name + each path component, each
 *   percent-encoded (a missing trailing `/` is added, as libtorrent does).
 *
 * Names are the torrent's own (`Torrent.name`, `TorrentFile.rawPath`), never the ones made
 * safe for our disk (`CON_`, a cut name, `x.1.txt`): the server holds the files as the torrent
 * names them.
 */
import { InputError } from '../errors.js';
import type { PieceLayout, TorrentFile } from '../metainfo/layout.js';

export class WebSeedUrlError extends InputError {}

/**
 * A layout file whose path on disk is not the torrent's own (the daemon renamed it:
 * daemon/service/file-rename.ts): `torrentPath` is the path the torrent gives it, which is
 * where a web seed serves it.
 */
export interface RenamedFile extends TorrentFile {
  readonly torrentPath?: readonly string[];
}

/** What URL building needs of a torrent. */
export interface WebSeedTorrent {
  readonly name: string;
  readonly multiFile: boolean;
  readonly layout: PieceLayout;
}

/** Checks a `url-list` entry: http: or https: only (BEP 19: ignore protocols we do not know). */
export function parseWebSeedUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WebSeedUrlError(`web seed ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WebSeedUrlError(`web seed ${url}: only http: and https: are supported, not ${u.protocol}`);
  return u;
}

/** The URL of file `fileIndex` (an index into `layout.files`) on web seed `base`. */
export function webSeedFileUrl(base: string, torrent: WebSeedTorrent, fileIndex: number): string {
  const file: RenamedFile = torrent.layout.files[fileIndex];
  // The names go into the path; a query string (a download key, say) stays after them, and a
  // fragment is never sent. Where the URL does not parse, plain appending is all there is.
  const cut = base.search(/[?#]/);
  const path = cut < 0 ? base : base.slice(0, cut);
  const query = cut < 0 ? '' : /^\?[^#]*/.exec(base.slice(cut))?.[0] ?? '';
  if (!torrent.multiFile) return (path.endsWith('/') ? path + encodeURIComponent(torrent.name) : path) + query;
  const root = path.endsWith('/') ? path : `${path}/`;
  // rawPath survives a rename (withRenames spreads the file); torrentPath is the path before it.
  return root + [torrent.name, ...(file.rawPath ?? file.torrentPath ?? file.path)].map(encodeURIComponent).join('/') + query;
}

/** One part of a piece-space run: bytes of one file to fetch, or pad bytes (zeros, never fetched). */
export interface RangePart {
  /** Offset of the part in the piece space. */
  readonly spaceOffset: number;
  readonly length: number;
  /** The file's URL and the part's offset in the file; undefined for a pad file (BEP 47). */
  readonly url?: string;
  readonly fileOffset: number;
}

/** The parts of piece-space bytes [offset, offset + length): one per file touched (a run over several files needs several requests). */
export function planRanges(base: string, torrent: WebSeedTorrent, offset: number, length: number): RangePart[] {
  const layout = torrent.layout;
  const out: RangePart[] = [];
  for (const s of layout.slices(offset, length)) {
    const f = layout.files[s.fileIndex];
    out.push({ spaceOffset: f.offset + s.offset, length: s.length, fileOffset: s.offset, url: f.pad ? undefined : webSeedFileUrl(base, torrent, s.fileIndex) });
  }
  return out;
}
