/**
 * An accepted connection before we know whether it is encrypted. The first bytes decide
 * (`sniffIncoming`): a plaintext BitTorrent handshake passes straight through; anything else
 * runs the MSE receiver handshake here, after which the stream decrypts what it reads and
 * encrypts what it writes. Whoever reads the stream (the incoming gate, then a peer session)
 * sees the BT handshake either way, so routing by info hash stays where it was.
 *
 * The policy can refuse either kind: `require` closes a plaintext handshake, `plaintext`
 * closes an MSE one. A failed MSE handshake destroys the stream with its `MseError`.
 */
import type { Address, ByteStream, Clock, Random, TimerHandle } from '../../runtime/types.js';
import type { MseMethod } from './constants.js';
import { MseError } from './errors.js';
import { MseHandshake, type MseCiphers, type MseEvent } from './handshake.js';
import { acceptedMethods, type EncryptionOptions } from './policy.js';
import { sniffIncoming } from './sniff.js';
import { concatBytes } from '../../util/bytes.js';

export interface IncomingEncryptionDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly encryption: EncryptionOptions;
  /** The torrent (its 20-byte handshake hash) whose HASH('req2', SKEY) this is. */
  readonly findSkey: (req2: Uint8Array) => Uint8Array | undefined;
}

type Mode = 'sniffing' | 'handshake' | 'plaintext' | 'encrypted' | 'failed';

/** Where a BT handshake (BEP 3: pstrlen, pstr, reserved) carries the info hash. */
const HANDSHAKE_INFO_HASH_AT = 28;
const HANDSHAKE_INFO_HASH_END = 48;

export class IncomingStream implements ByteStream {
  readonly local: Address;
  readonly remote: Address;
  readonly volatileData: boolean;
  private mode: Mode = 'sniffing';
  /** What was read while sniffing (private copies). */
  private head = new Uint8Array(0);
  private hs: MseHandshake | undefined;
  private ciphers: MseCiphers = { encrypt: undefined, decrypt: undefined };
  private timer: TimerHandle | undefined;
  /** Writes made before the handshake finished (sent once it has). */
  private heldWrites: Uint8Array[] = [];
  private dataHandler: ((data: Uint8Array) => void) | undefined;
  private early: Uint8Array[] = [];
  /** Decrypted bytes seen so far, until the BT handshake's info hash (bytes 28..47) is checked. */
  private checked = 0;
  /** The method agreed, once encrypted; undefined for a plaintext connection. */
  method: MseMethod | undefined;
  /** The info hash the MSE handshake named (SKEY), once encrypted. */
  skey: Uint8Array | undefined;

  constructor(
    readonly inner: ByteStream,
    private readonly deps: IncomingEncryptionDeps,
  ) {
    this.local = inner.local;
    this.remote = inner.remote;
    this.volatileData = inner.volatileData === true;
    inner.onData((bytes) => this.receive(bytes));
  }

  get encrypted(): boolean {
    return this.mode === 'encrypted';
  }

  get bufferedBytes(): number {
    return (this.inner as { bufferedBytes?: number }).bufferedBytes ?? 0;
  }

  private receive(bytes: Uint8Array): void {
    switch (this.mode) {
      case 'plaintext':
        return this.deliver(bytes, true);
      case 'encrypted': {
        const d = this.ciphers.decrypt;
        if (d === undefined) return this.deliver(bytes, true);
        return this.deliver(this.volatileData ? d.update(bytes) : d.process(bytes), this.volatileData);
      }
      case 'handshake':
        return this.onHandshake((this.hs as MseHandshake).receive(bytes));
      case 'sniffing':
        return this.sniff(bytes);
      default:
        return;
    }
  }

  private sniff(bytes: Uint8Array): void {
    const head = new Uint8Array(this.head.length + bytes.length);
    head.set(this.head);
    head.set(bytes, this.head.length);
    this.head = head;
    const kind = sniffIncoming(head);
    if (kind === 'undecided') return;
    this.head = new Uint8Array(0);
    const policy = this.deps.encryption.policy;
    if (kind === 'plaintext') {
      if (policy === 'require') return this.fail(new MseError('refused', 'a plaintext connection was refused: encryption is required'));
      this.mode = 'plaintext';
      this.flushHeld();
      return this.deliver(head, false);
    }
    if (policy === 'plaintext') return this.fail(new MseError('refused', 'an encrypted connection was refused: encryption is off'));
    const e = this.deps.encryption;
    this.hs = new MseHandshake({
      role: 'receiver',
      now: this.deps.clock.now(),
      random: this.deps.random,
      privateKey: e.secretBytes?.(20),
      findSkey: this.deps.findSkey,
      accept: acceptedMethods(policy),
      handshakeTimeoutMs: e.handshakeTimeoutMs,
      maxInitialPayload: e.maxInitialPayload,
      maxSendPad: e.maxSendPad,
    });
    this.mode = 'handshake';
    const deadline = this.hs.nextDeadline();
    this.timer = this.deps.clock.setTimer(Math.max(0, deadline - this.deps.clock.now()), () => {
      this.timer = undefined;
      if (this.mode === 'handshake') this.onHandshake((this.hs as MseHandshake).poll(Math.max(deadline, this.deps.clock.now())));
    });
    this.onHandshake(this.hs.receive(head));
  }

  private onHandshake(events: MseEvent[]): void {
    const hs = this.hs as MseHandshake;
    const out = hs.takeOutgoing();
    if (out.length > 0) this.inner.writev(out);
    for (const e of events) {
      if (e.type === 'error') return this.fail(e.error);
      this.timer?.cancel();
      this.mode = 'encrypted';
      this.method = e.method;
      this.skey = e.skey;
      this.ciphers = e.ciphers;
      this.hs = undefined;
      this.flushHeld();
      if (e.payload.length > 0) this.deliver(e.payload, false);
    }
  }

  /**
   * The BT handshake inside must name the torrent the MSE handshake named (libtorrent checks
   * the same): bytes 28..47 of the decrypted stream against SKEY. False when it does not.
   */
  private checkInfoHash(bytes: Uint8Array): boolean {
    const skey = this.skey as Uint8Array;
    const base = this.checked;
    const from = Math.max(0, HANDSHAKE_INFO_HASH_AT - base);
    const to = Math.min(bytes.length, HANDSHAKE_INFO_HASH_END - base);
    for (let k = from; k < to; k++) if (bytes[k] !== skey[base + k - HANDSHAKE_INFO_HASH_AT]) return false;
    this.checked = base + bytes.length;
    return true;
  }

  private fail(error: MseError): void {
    this.mode = 'failed';
    this.timer?.cancel();
    this.heldWrites = [];
    this.inner.destroy(error);
  }

  /** `volatile`: the bytes are valid only during this call (copied if they must wait). */
  private deliver(bytes: Uint8Array, volatile: boolean): void {
    if (this.mode === 'encrypted' && this.checked < HANDSHAKE_INFO_HASH_END && !this.checkInfoHash(bytes)) {
      return this.fail(new MseError('skey_mismatch', 'the BitTorrent handshake names another torrent than the encryption handshake'));
    }
    const h = this.dataHandler;
    if (h !== undefined) h(bytes);
    else this.early.push(volatile && this.volatileData ? new Uint8Array(bytes) : bytes);
  }

  private flushHeld(): void {
    const held = this.heldWrites;
    this.heldWrites = [];
    if (held.length > 0) this.writev(held);
  }

  write(data: Uint8Array): boolean {
    if (this.mode === 'sniffing' || this.mode === 'handshake') {
      this.heldWrites.push(new Uint8Array(data));
      return true;
    }
    const e = this.ciphers.encrypt;
    return this.inner.write(e === undefined ? data : e.process(data));
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    const e = this.ciphers.encrypt;
    if (this.mode === 'sniffing' || this.mode === 'handshake' || e === undefined) {
      if (this.mode === 'plaintext' || this.mode === 'encrypted') return this.inner.writev(chunks);
      let ok = true;
      for (const c of chunks) ok = this.write(c) && ok;
      return ok;
    }
    return this.inner.write(e.update(concatBytes(chunks)));
  }

  end(): void {
    this.inner.end();
  }

  destroy(error?: Error): void {
    this.timer?.cancel();
    this.inner.destroy(error);
  }

  onData(handler: (data: Uint8Array) => void): void {
    this.dataHandler = handler;
    const early = this.early;
    this.early = [];
    for (const chunk of early) handler(chunk);
  }

  onEnd(handler: () => void): void {
    this.inner.onEnd(handler);
  }

  onClose(handler: (error?: Error) => void): void {
    this.inner.onClose((error) => {
      this.timer?.cancel();
      handler(error);
    });
  }

  onDrain(handler: () => void): void {
    this.inner.onDrain(handler);
  }
}
