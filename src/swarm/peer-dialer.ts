/**
 * Opens outgoing peer connections under the session's encryption policy, and remembers per
 * peer address what worked.
 *
 * - `plaintext`: a plain TCP connection.
 * - `require`: MSE with RC4 only; a peer that cannot do it is a failed dial.
 * - `prefer`: MSE first (offering RC4 and plaintext payload); when the MSE handshake fails
 *   (the peer hangs up on our public key, does not answer in time, or answers garbage) dial
 *   again in plaintext at once. A peer that needed plaintext is dialled in plaintext from
 *   then on; one that took MSE, with MSE. A refused or unreachable address is not retried
 *   here (that is the peer pool's back-off).
 *
 * The initial payload of MSE step 3 carries our BT handshake, so an encrypted connection
 * costs no extra round trip after the key exchange.
 */
import type { Address, ByteStream, Runtime } from '../runtime/types.js';
import { formatAddress } from '../runtime/types.js';
import { MseError, negotiateMse, providedMethods, type EncryptionOptions, type MseMethod } from '../transport/mse/index.js';

export interface DialResult {
  readonly stream: ByteStream;
  /** `undefined`: a plaintext connection (no MSE). */
  readonly method: MseMethod | undefined;
  /** Decrypted bytes that arrived with the end of the MSE handshake (feed them to the wire first). */
  readonly payload: Uint8Array;
}

export interface PeerDialerOptions {
  readonly encryption: EncryptionOptions;
  /** Connect timeout (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Peers whose encryption outcome is remembered, at most (default 4096; the oldest is forgotten). */
  readonly maxRemembered?: number;
}

export type Remembered = 'encrypted' | 'plaintext';

/** Passed through to `connect` (e.g. `localHost`: the IP to connect from). */
export interface DialConnectOptions {
  readonly localHost?: string;
}

export class PeerDialer {
  private readonly memory = new Map<string, Remembered>();
  /** Dials that fell back from MSE to plaintext (for status and tests). */
  fallbacks = 0;

  /** The policy and limits in force; `setPolicy` changes them for later connections. */
  encryption: EncryptionOptions;

  constructor(
    private readonly runtime: Runtime,
    readonly options: PeerDialerOptions,
  ) {
    this.encryption = options.encryption;
  }

  get policy(): EncryptionOptions['policy'] {
    return this.encryption.policy;
  }

  /** Changes the policy for connections made (and accepted) from now on; open ones stay as they are. */
  setPolicy(policy: EncryptionOptions['policy']): void {
    this.encryption = { ...this.encryption, policy };
  }

  remembered(address: Address): Remembered | undefined {
    return this.memory.get(formatAddress(address));
  }

  private remember(address: Address, what: Remembered): void {
    const k = formatAddress(address);
    this.memory.delete(k);
    this.memory.set(k, what);
    const max = this.options.maxRemembered ?? 4096;
    while (this.memory.size > max) this.memory.delete(this.memory.keys().next().value as string);
  }

  /**
   * Connects to `address` for the torrent `skey` (its 20-byte handshake hash). `handshake` is
   * called once a TCP connection is up (again for a plaintext redial) and gives our BT
   * handshake, sent inside MSE or as the first bytes of a plaintext connection; so the
   * caller's handshake deadline runs from the connection, as without MSE.
   */
  async dial(address: Address, skey: Uint8Array, handshake: () => Uint8Array, connect: DialConnectOptions = {}): Promise<DialResult> {
    const policy = this.policy;
    if (policy === 'plaintext' || (policy === 'prefer' && this.remembered(address) === 'plaintext')) return this.dialPlain(address, handshake, connect);
    const raw = await this.connect(address, connect);
    const e = this.encryption;
    try {
      const r = await negotiateMse(this.runtime.clock, raw, {
        role: 'initiator',
        random: this.runtime.random,
        privateKey: e.secretBytes?.(20),
        skey,
        provide: providedMethods(policy),
        initialPayload: handshake(),
        handshakeTimeoutMs: e.handshakeTimeoutMs,
        maxSendPad: e.maxSendPad,
      });
      this.remember(address, 'encrypted');
      return { stream: r.stream, method: r.method, payload: r.payload };
    } catch (err) {
      if (policy !== 'prefer' || !(err instanceof MseError)) throw err;
      this.fallbacks++;
      const plain = await this.dialPlain(address, handshake, connect);
      this.remember(address, 'plaintext');
      return plain;
    }
  }

  private async dialPlain(address: Address, handshake: () => Uint8Array, connect: DialConnectOptions): Promise<DialResult> {
    const stream = await this.connect(address, connect);
    stream.write(handshake());
    return { stream, method: undefined, payload: new Uint8Array(0) };
  }

  private connect(address: Address, extra: DialConnectOptions): Promise<ByteStream> {
    return this.runtime.stream.connect(address, { ...extra, timeoutMs: this.options.connectTimeoutMs ?? 10_000, reuseReadBuffer: true });
  }
}
