/**
 * The handshake stage of a connection (BEP 3): reads the peer's 68 bytes (or a typed
 * handshake), checks the info hash and peer id, and says when we must answer. An accepting
 * side without an info hash stops after the 48-byte header so the caller can look the
 * torrent up first ("ask"); BEP 52's hybrid upgrade lets the answer carry another hash.
 */
import type { MessageDecoder } from './decoder.js';
import { copyBytes } from '../util/bytes.js';
import { PeerProtocolError } from './errors.js';
import {
  HANDSHAKE_HEADER_LENGTH, PEER_ID_LENGTH, decodeHandshakeHeader, featuresOf,
  type Handshake, type HandshakeHeader, type WireFeatures,
} from './handshake.js';
import { NO_FEATURES } from './peer-state.js';

/** 'more': needs input; 'ask': the caller must pick our info hash; 'answer': send our handshake now; 'done': complete. */
export type HandshakeStep = 'more' | 'ask' | 'answer' | 'done';

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NO_HASHES: readonly Uint8Array[] = [];

export class HandshakeStage {
  header: HandshakeHeader | undefined;
  peerId: Uint8Array | undefined;
  remote: WireFeatures = NO_FEATURES;
  /** The info hash our handshake carries (set by `accept` on an incoming connection). */
  ourInfoHash: Uint8Array | undefined;
  private answered: boolean;

  constructor(
    readonly role: 'outgoing' | 'incoming',
    ourInfoHash: Uint8Array | undefined,
    private acceptHashes: readonly Uint8Array[],
    private readonly expectedPeerId: Uint8Array | undefined,
  ) {
    this.ourInfoHash = ourInfoHash;
    this.answered = role === 'outgoing'; // we dialled: our handshake went first
  }

  /** Keeps `hash` (the torrent's own copy) in place of the header's when they are the same bytes: one copy fewer per connection. */
  shareInfoHash(hash: Uint8Array): void {
    const h = this.header;
    if (h !== undefined && h.infoHash !== hash && equal(h.infoHash, hash)) this.header = { reserved: h.reserved, infoHash: hash };
  }

  /** Advances with the bytes in `decoder` (bytes framing) or the `typed` handshake. Throws `PeerProtocolError`. */
  advance(decoder: MessageDecoder | undefined, typed: Handshake | undefined): HandshakeStep {
    if (!this.header) {
      if (decoder) {
        const bytes = decoder.readBytes(HANDSHAKE_HEADER_LENGTH);
        if (!bytes) return 'more';
        this.header = decodeHandshakeHeader(bytes);
      } else {
        if (!typed) return 'more';
        if (typed.infoHash.length !== 20 || typed.reserved.length !== 8 || typed.peerId.length !== 20) throw new PeerProtocolError('bad_handshake', 'malformed typed handshake');
        this.header = { reserved: typed.reserved, infoHash: typed.infoHash };
      }
      this.remote = featuresOf(this.header.reserved);
      if (this.role === 'incoming' && !this.ourInfoHash) return 'ask';
      const theirs = this.header.infoHash;
      const match = this.acceptHashes.find((h) => equal(h, theirs));
      if (match === undefined) throw new PeerProtocolError('info_hash_mismatch', "the peer's handshake names another torrent");
      this.shareInfoHash(match);
      this.acceptHashes = NO_HASHES; // matched: not needed again
    }
    if (!this.answered) {
      if (!this.ourInfoHash) return 'ask';
      this.answered = true;
      return 'answer';
    }
    const raw = decoder?.readBytes(PEER_ID_LENGTH);
    const peerId = decoder ? raw && copyBytes(raw) : typed?.peerId;
    if (!peerId) return 'more';
    if (this.expectedPeerId && !equal(peerId, this.expectedPeerId)) throw new PeerProtocolError('peer_id_mismatch', 'the peer id differs from the one announced');
    this.peerId = peerId;
    return 'done';
  }
}
