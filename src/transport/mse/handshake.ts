/**
 * The Message Stream Encryption handshake as a sans-I/O state machine: bytes and `now` in,
 * bytes to send and events out, one deadline the owner drives with `poll(now)`.
 *
 * A = initiator (dialled), B = receiver. S = DH secret, SKEY = the torrent's info hash.
 *
 *   1 A->B: Ya, PadA
 *   2 B->A: Yb, PadB
 *   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 *   5 A->B: ENCRYPT2(payload)
 *
 * ENCRYPT is RC4 keyed with HASH('keyA', S, SKEY) for A->B and HASH('keyB', S, SKEY) for
 * B->A, the first 1024 keystream bytes dropped; ENCRYPT2 is the same cipher continued
 * (`rc4`) or nothing (`plaintext`), as crypto_select says. Lengths are 2-byte big-endian,
 * crypto fields 4-byte big-endian bit sets. Each side finds where the other's encrypted part
 * starts by searching for a marker (HASH('req1', S) for B; ENCRYPT(VC) for A) within 512
 * bytes of padding after the public key.
 */
import type { Random } from '../../runtime/types.js';
import { DH_KEY_LENGTH, DH_PRIVATE_KEY_LENGTH, dhPublicKey, dhSecret } from './dh.js';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MAX_PAD_LENGTH, RC4_DISCARD, VC_LENGTH, hashOf, methodBit, type MseMethod } from './constants.js';
import { MseError } from './errors.js';
import { Rc4 } from './rc4.js';

export interface MseLimits {
  /** The handshake must finish within this many ms of the start (default 20 s, like the BT handshake). */
  readonly handshakeTimeoutMs?: number;
  /** Longest initial payload (IA) a receiver accepts (default 8 KiB; a BT handshake is 68 bytes). */
  readonly maxInitialPayload?: number;
  /** Longest PadA/PadB we send (default 512, the most the document allows). */
  readonly maxSendPad?: number;
}

interface CommonOptions extends MseLimits {
  readonly now: number;
  readonly random: Random;
  /** Our DH private key (default: 20 bytes of `random`). */
  readonly privateKey?: Uint8Array;
}

export interface MseInitiatorOptions extends CommonOptions {
  readonly role: 'initiator';
  /** The info hash the connection is for (20 bytes; a v2 hash truncated, as in the BT handshake). */
  readonly skey: Uint8Array;
  /** Methods we offer in crypto_provide. */
  readonly provide: readonly MseMethod[];
  /** Bytes sent encrypted inside step 3 (usually our BT handshake), at most 65535. */
  readonly initialPayload?: Uint8Array;
}

export interface MseReceiverOptions extends CommonOptions {
  readonly role: 'receiver';
  /** The info hash whose HASH('req2', SKEY) this is, if we have that torrent. */
  readonly findSkey: (req2: Uint8Array) => Uint8Array | undefined;
  /** Methods we accept, most wanted first; we select the first one the initiator provides. */
  readonly accept: readonly MseMethod[];
}

export type MseHandshakeOptions = MseInitiatorOptions | MseReceiverOptions;

/** The ciphers a finished handshake leaves: `undefined` for the plaintext method. */
export interface MseCiphers {
  readonly encrypt: Rc4 | undefined;
  readonly decrypt: Rc4 | undefined;
}

export type MseEvent =
  | {
      readonly type: 'established';
      readonly method: MseMethod;
      readonly skey: Uint8Array;
      /** Decrypted bytes that followed the handshake (the receiver's starts with the IA). */
      readonly payload: Uint8Array;
      readonly ciphers: MseCiphers;
    }
  | { readonly type: 'error'; readonly error: MseError };

export const MSE_DEFAULTS = { handshakeTimeoutMs: 20_000, maxInitialPayload: 8 * 1024, maxSendPad: MAX_PAD_LENGTH } as const;

type State = 'public_key' | 'sync' | 'header' | 'pad' | 'payload' | 'done' | 'failed';
const VC = new Uint8Array(VC_LENGTH);

export class MseHandshake {
  private readonly o: MseHandshakeOptions;
  private readonly privateKey: Uint8Array;
  private readonly deadline: number;
  private readonly maxInitialPayload: number;
  private state: State = 'public_key';
  private buf = new Uint8Array(0);
  private out: Uint8Array[] = [];
  private secret: Uint8Array | undefined;
  private skey: Uint8Array | undefined;
  private marker: Uint8Array | undefined;
  private encrypt: Rc4 | undefined;
  private decrypt: Rc4 | undefined;
  private method: MseMethod = 'rc4';
  /** Length of the variable field being read: PadC, PadD or IA. */
  private fieldLength = 0;
  private ia: Uint8Array = new Uint8Array(0);

  constructor(options: MseHandshakeOptions) {
    this.o = options;
    this.privateKey = options.privateKey ?? options.random.bytes(DH_PRIVATE_KEY_LENGTH);
    this.deadline = options.now + (options.handshakeTimeoutMs ?? MSE_DEFAULTS.handshakeTimeoutMs);
    this.maxInitialPayload = options.maxInitialPayload ?? MSE_DEFAULTS.maxInitialPayload;
    if (options.role === 'initiator') {
      if (options.skey.length !== 20) throw new RangeError('MSE SKEY must be 20 bytes');
      if ((options.initialPayload?.length ?? 0) > 0xffff) throw new RangeError('MSE initial payload is at most 65535 bytes');
      if (options.provide.length === 0) throw new RangeError('MSE initiator must provide a method');
      this.sendPublicKey();
    }
  }

  get role(): 'initiator' | 'receiver' {
    return this.o.role;
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** Bytes to write, in order. */
  takeOutgoing(): Uint8Array[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  nextDeadline(): number {
    return this.finished ? Infinity : this.deadline;
  }

  poll(now: number): MseEvent[] {
    if (this.finished || now < this.deadline) return [];
    return this.fail(new MseError('timeout', 'the encryption handshake did not finish in time'));
  }

  /** The connection ended before the handshake finished. */
  end(): MseEvent[] {
    if (this.finished) return [];
    return this.fail(new MseError('closed', 'the peer closed the connection during the encryption handshake'));
  }

  /** Feeds received bytes (copied: a volatile read buffer is fine). */
  receive(bytes: Uint8Array): MseEvent[] {
    if (this.finished) return [];
    const joined = new Uint8Array(this.buf.length + bytes.length);
    joined.set(this.buf);
    joined.set(bytes, this.buf.length);
    this.buf = joined;
    try {
      return this.advance();
    } catch (e) {
      if (e instanceof MseError) return this.fail(e);
      throw e;
    }
  }

  private fail(error: MseError): MseEvent[] {
    this.state = 'failed';
    this.buf = new Uint8Array(0);
    return [{ type: 'error', error }];
  }

  private consume(n: number): Uint8Array {
    const head = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return head;
  }

  private sendPublicKey(): void {
    const max = Math.min(this.o.maxSendPad ?? MSE_DEFAULTS.maxSendPad, MAX_PAD_LENGTH);
    const pad = this.o.random.bytes(this.o.random.int(max + 1));
    const msg = new Uint8Array(DH_KEY_LENGTH + pad.length);
    msg.set(dhPublicKey(this.privateKey));
    msg.set(pad, DH_KEY_LENGTH);
    this.out.push(msg);
  }

  private setCiphers(skey: Uint8Array, secret: Uint8Array): void {
    const a = new Rc4(hashOf('keyA', secret, skey));
    const b = new Rc4(hashOf('keyB', secret, skey));
    a.discard(RC4_DISCARD);
    b.discard(RC4_DISCARD);
    const initiator = this.o.role === 'initiator';
    this.encrypt = initiator ? a : b;
    this.decrypt = initiator ? b : a;
  }

  private advance(): MseEvent[] {
    while (true) {
      const progressed = this.o.role === 'initiator' ? this.stepInitiator(this.o) : this.stepReceiver(this.o);
      if (this.state === 'done') return [this.established()];
      if (!progressed) return [];
    }
  }

  /** One step of A's side; false when it needs more bytes. */
  private stepInitiator(o: MseInitiatorOptions): boolean {
    switch (this.state) {
      case 'public_key': {
        if (this.buf.length < DH_KEY_LENGTH) return false;
        const secret = dhSecret(this.privateKey, this.consume(DH_KEY_LENGTH));
        this.secret = secret;
        this.skey = o.skey;
        this.setCiphers(o.skey, secret);
        // What B's ENCRYPT(VC) looks like: keyB's keystream after the discard.
        const probe = new Rc4(hashOf('keyB', secret, o.skey));
        probe.discard(RC4_DISCARD);
        this.marker = probe.process(VC);
        this.sendStep3(o, secret);
        this.state = 'sync';
        return true;
      }
      case 'sync': {
        if (!this.sync(this.marker as Uint8Array, 'the encrypted verification constant')) return false;
        this.decrypt?.discard(VC_LENGTH);
        this.state = 'header';
        return true;
      }
      case 'header': {
        if (this.buf.length < 6) return false;
        const h = (this.decrypt as Rc4).process(this.consume(6));
        const select = readU32(h, 0);
        const offered = o.provide.reduce((bits, m) => bits | methodBit(m), 0);
        if ((select !== CRYPTO_RC4 && select !== CRYPTO_PLAINTEXT) || (select & offered) === 0) {
          throw new MseError('bad_crypto', `the peer selected crypto method ${select}, not one of ours (${offered})`);
        }
        this.method = select === CRYPTO_RC4 ? 'rc4' : 'plaintext';
        this.fieldLength = readPadLength(h, 4, 'PadD');
        this.state = 'pad';
        return true;
      }
      case 'pad': {
        if (this.buf.length < this.fieldLength) return false;
        (this.decrypt as Rc4).update(new Uint8Array(this.consume(this.fieldLength)));
        this.state = 'done';
        return true;
      }
      default:
        return false;
    }
  }

  private sendStep3(o: MseInitiatorOptions, secret: Uint8Array): void {
    const req23 = xor20(hashOf('req2', o.skey), hashOf('req3', secret));
    const ia = o.initialPayload ?? new Uint8Array(0);
    const provide = o.provide.reduce((bits, m) => bits | methodBit(m), 0);
    // VC(8) crypto_provide(4) len(PadC)(2) PadC(0) len(IA)(2) IA
    const body = new Uint8Array(VC_LENGTH + 4 + 2 + 2 + ia.length);
    writeU32(body, VC_LENGTH, provide);
    body[VC_LENGTH + 6] = ia.length >>> 8;
    body[VC_LENGTH + 7] = ia.length & 0xff;
    body.set(ia, VC_LENGTH + 8);
    (this.encrypt as Rc4).update(body);
    this.out.push(hashOf('req1', secret), req23, body);
  }

  /** One step of B's side; false when it needs more bytes. */
  private stepReceiver(o: MseReceiverOptions): boolean {
    switch (this.state) {
      case 'public_key': {
        if (this.buf.length < DH_KEY_LENGTH) return false;
        const secret = dhSecret(this.privateKey, this.consume(DH_KEY_LENGTH));
        this.secret = secret;
        this.marker = hashOf('req1', secret);
        this.sendPublicKey();
        this.state = 'sync';
        return true;
      }
      case 'sync':
        if (!this.sync(this.marker as Uint8Array, 'HASH(req1, S)')) return false;
        this.state = 'header';
        return true;
      case 'header': {
        // HASH('req2', SKEY) xor HASH('req3', S) (20), then ENCRYPT(VC(8) crypto_provide(4) len(PadC)(2))
        if (this.buf.length < 34) return false;
        const secret = this.secret as Uint8Array;
        const req2 = xor20(this.consume(20), hashOf('req3', secret));
        const skey = o.findSkey(req2);
        if (!skey) throw new MseError('unknown_torrent', 'the peer asked for a torrent we do not have');
        this.skey = skey;
        this.setCiphers(skey, secret);
        const h = (this.decrypt as Rc4).process(this.consume(14));
        if (h.subarray(0, VC_LENGTH).some((b) => b !== 0)) throw new MseError('bad_vc', 'the verification constant did not decrypt to zeros');
        const provide = readU32(h, VC_LENGTH);
        const method = o.accept.find((m) => (provide & methodBit(m)) !== 0);
        if (!method) throw new MseError('bad_crypto', `the peer provides crypto methods ${provide}, none of which we accept`);
        this.method = method;
        this.fieldLength = readPadLength(h, VC_LENGTH + 4, 'PadC');
        this.state = 'pad';
        return true;
      }
      case 'pad': {
        if (this.buf.length < this.fieldLength + 2) return false;
        const d = (this.decrypt as Rc4).process(this.consume(this.fieldLength + 2));
        const iaLength = (d[this.fieldLength] << 8) | d[this.fieldLength + 1];
        if (iaLength > this.maxInitialPayload) {
          throw new MseError('payload_too_long', `the peer's initial payload of ${iaLength} bytes is over the limit of ${this.maxInitialPayload}`);
        }
        this.fieldLength = iaLength;
        this.state = 'payload';
        return true;
      }
      case 'payload': {
        if (this.buf.length < this.fieldLength) return false;
        this.ia = (this.decrypt as Rc4).process(this.consume(this.fieldLength));
        // Step 4: ENCRYPT(VC, crypto_select, len(PadD) = 0).
        const reply = new Uint8Array(VC_LENGTH + 4 + 2);
        writeU32(reply, VC_LENGTH, methodBit(this.method));
        this.out.push((this.encrypt as Rc4).update(reply));
        this.state = 'done';
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Finds `marker` in what followed the public key; consumes through it. More than 512
   * bytes of padding before it is a peer that does not speak MSE (or lies about it).
   */
  private sync(marker: Uint8Array, what: string): boolean {
    // Only a marker that starts within the window counts, however the bytes were chunked.
    const at = indexOf(this.buf.subarray(0, MAX_PAD_LENGTH + marker.length), marker);
    if (at < 0) {
      if (this.buf.length >= MAX_PAD_LENGTH + marker.length) throw new MseError('no_sync', `no ${what} within ${MAX_PAD_LENGTH} bytes of padding`);
      return false;
    }
    this.consume(at + marker.length);
    return true;
  }

  private established(): MseEvent {
    const rest = this.consume(this.buf.length);
    const tail = this.method === 'rc4' ? (this.decrypt as Rc4).process(rest) : new Uint8Array(rest);
    let payload = tail;
    if (this.ia.length > 0) {
      payload = new Uint8Array(this.ia.length + tail.length);
      payload.set(this.ia);
      payload.set(tail, this.ia.length);
    }
    const rc4 = this.method === 'rc4';
    this.secret = undefined;
    return {
      type: 'established',
      method: this.method,
      skey: this.skey as Uint8Array,
      payload,
      ciphers: { encrypt: rc4 ? this.encrypt : undefined, decrypt: rc4 ? this.decrypt : undefined },
    };
  }
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function readPadLength(b: Uint8Array, at: number, name: string): number {
  const n = (b[at] << 8) | b[at + 1];
  if (n > MAX_PAD_LENGTH) throw new MseError('bad_padding', `len(${name}) is ${n}, over ${MAX_PAD_LENGTH}`);
  return n;
}

function xor20(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = a[i] ^ b[i];
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  const last = hay.length - needle.length;
  const first = needle[0];
  outer: for (let i = 0; i <= last; i++) {
    if (hay[i] !== first) continue;
    for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}
