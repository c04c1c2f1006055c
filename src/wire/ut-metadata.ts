/**
 * BEP 9 metadata exchange (`ut_metadata`, an extension message of BEP 10): the message codec
 * and the serving side. The fetching side is `metadata-fetcher.ts`.
 *
 * The metadata is the info dict, in 16 KiB pieces (the last may be shorter). Payloads:
 *   request: d8:msg_typei0e5:piecei<n>ee
 *   data:    d8:msg_typei1e5:piecei<n>e10:total_sizei<size>ee<piece bytes>   (raw bytes after the dict)
 *   reject:  d8:msg_typei2e5:piecei<n>ee
 * An unknown msg_type MUST be ignored (BEP 9).
 */
import { isDict } from '../bencode/access.js';
import { BencodeError, decodeWithSpans } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import type { BValue } from '../bencode/types.js';
import { PeerProtocolError } from './errors.js';

export const METADATA_PIECE_SIZE = 16 * 1024;
export const METADATA_MSG_REQUEST = 0;
export const METADATA_MSG_DATA = 1;
export const METADATA_MSG_REJECT = 2;

/**
 * Largest metadata (info dict) accepted, 16 MiB: 1024 pieces. A v1 info dict is ~20 bytes per
 * piece, so this covers ~800,000 pieces (a 3 TiB torrent at 4 MiB pieces); libtorrent accepts
 * up to 30 MiB but such torrents are rare and the cap bounds what a peer can make us buffer.
 */
export const DEFAULT_MAX_METADATA_SIZE = 16 * 1024 * 1024;

export type MetadataMessage =
  | { readonly type: 'request'; readonly piece: number }
  | { readonly type: 'data'; readonly piece: number; readonly totalSize: number; /** A view into the payload. */ readonly data: Uint8Array }
  | { readonly type: 'reject'; readonly piece: number }
  /** A msg_type this layer does not know: ignore it. */
  | { readonly type: 'unknown'; readonly msgType: number };

export function encodeMetadataMessage(m: MetadataMessage): Uint8Array {
  switch (m.type) {
    case 'request':
      return encode({ msg_type: METADATA_MSG_REQUEST, piece: m.piece });
    case 'reject':
      return encode({ msg_type: METADATA_MSG_REJECT, piece: m.piece });
    case 'data': {
      const dict = encode({ msg_type: METADATA_MSG_DATA, piece: m.piece, total_size: m.totalSize });
      const out = new Uint8Array(dict.length + m.data.length);
      out.set(dict);
      out.set(m.data, dict.length);
      return out;
    }
    case 'unknown':
      return encode({ msg_type: m.msgType });
  }
}

function uint(v: BValue | undefined): number | undefined {
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

/**
 * Decodes a ut_metadata payload. Throws `PeerProtocolError` ('bad_metadata') when it is not a
 * dict, lacks `piece` (or `total_size` in data), or a data piece is longer than 16 KiB.
 */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  let end: number;
  let d: BValue;
  try {
    const r = decodeWithSpans(payload, { strict: false, allowTrailing: true, maxDepth: 8 });
    d = r.value;
    end = r.end;
  } catch (e) {
    if (e instanceof BencodeError) throw new PeerProtocolError('bad_metadata', `ut_metadata: ${e.message}`, { cause: e });
    throw e;
  }
  if (!isDict(d)) throw new PeerProtocolError('bad_metadata', 'ut_metadata message is not a dictionary');
  const msgType = uint(d.get('msg_type'));
  if (msgType === undefined) throw new PeerProtocolError('bad_metadata', "ut_metadata message without an integer 'msg_type'");
  if (msgType > METADATA_MSG_REJECT) return { type: 'unknown', msgType };
  const piece = uint(d.get('piece'));
  if (piece === undefined) throw new PeerProtocolError('bad_metadata', "ut_metadata message without an integer 'piece'");
  if (msgType === METADATA_MSG_REQUEST) return { type: 'request', piece };
  if (msgType === METADATA_MSG_REJECT) return { type: 'reject', piece };
  const totalSize = uint(d.get('total_size'));
  if (totalSize === undefined) throw new PeerProtocolError('bad_metadata', "ut_metadata data without an integer 'total_size'");
  const data = payload.subarray(end);
  if (data.length > METADATA_PIECE_SIZE) throw new PeerProtocolError('bad_metadata', `ut_metadata piece of ${data.length} bytes is longer than 16 KiB`);
  return { type: 'data', piece, totalSize, data };
}

/** Number of 16 KiB pieces of metadata of `size` bytes. */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE);
}

/** Length of piece `piece` of metadata of `size` bytes. */
export function metadataPieceLength(size: number, piece: number): number {
  return Math.min(METADATA_PIECE_SIZE, size - piece * METADATA_PIECE_SIZE);
}

export interface MetadataServerOptions {
  /**
   * Flood protection (BEP 9 "MAY"): a peer gets at most `pieces * maxRequestsFactor` pieces
   * served (default 4); later requests are rejected.
   */
  maxRequestsFactor?: number;
}

/**
 * Serves our info dict to peers, one per torrent. `P` is whatever identifies a peer (the
 * connection object). Rejects when we do not have the metadata yet (BEP 9: MUST).
 */
export class MetadataServer<P> {
  private info: Uint8Array | undefined;
  private readonly factor: number;
  private readonly served = new Map<P, number>();

  constructor(info?: Uint8Array, options?: MetadataServerOptions) {
    this.info = info;
    this.factor = options?.maxRequestsFactor ?? 4;
  }

  /** Set once the metadata is known and verified. */
  setInfo(info: Uint8Array): void {
    this.info = info;
  }

  /** The `metadata_size` to announce in the extended handshake, if we have it. */
  get size(): number | undefined {
    return this.info?.length;
  }

  /** The answer to a request from `peer` for `piece`: data, or reject. */
  respond(peer: P, piece: number): MetadataMessage {
    const info = this.info;
    if (!info || piece >= metadataPieceCount(info.length)) return { type: 'reject', piece };
    const count = this.served.get(peer) ?? 0;
    if (count >= metadataPieceCount(info.length) * this.factor) return { type: 'reject', piece };
    this.served.set(peer, count + 1);
    const begin = piece * METADATA_PIECE_SIZE;
    return { type: 'data', piece, totalSize: info.length, data: info.subarray(begin, begin + metadataPieceLength(info.length, piece)) };
  }

  /** Forgets a disconnected peer's count. */
  forget(peer: P): void {
    this.served.delete(peer);
  }
}
