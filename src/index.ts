/** Shoal's library surface. */
export * from './errors.js';
export * as bencode from './bencode/index.js';
export type * from './runtime/types.js';
export { parseTorrent, parseInfo, realFiles, PARSE_TORRENT_DEFAULTS } from './metainfo/torrent.js';
export type { Torrent, TorrentVersion, ParseTorrentOptions } from './metainfo/torrent.js';
export { defaultPieceLength, CreateTorrentError } from './metainfo/create.js';
export { createTorrent } from './runtime/node/create/create-torrent.js';
export type { CreateTorrentOptions } from './metainfo/create.js';
export { TorrentParseError } from './metainfo/errors.js';
export { PieceLayout } from './metainfo/layout.js';
export type { TorrentFile, FileSlice } from './metainfo/layout.js';
export { parseMagnet, formatMagnet, MagnetError } from './metainfo/magnet.js';
export type { Magnet, MagnetPeer } from './metainfo/magnet.js';
export { validatePathComponents, resolveInside, UnsafePathError } from './storage/path-safety.js';
