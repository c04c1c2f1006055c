/**
 * Runs an `MseHandshake` over a `ByteStream` with the runtime's clock: writes what it
 * queues, feeds it what arrives, arms its deadline, and resolves with an `EncryptedStream`
 * (plus the decrypted bytes that came with the last handshake message), or rejects with an
 * `MseError` after destroying the stream.
 */
import type { ByteStream, Clock, TimerHandle } from '../../runtime/types.js';
import type { MseMethod } from './constants.js';
import { EncryptedStream } from './encrypted-stream.js';
import { MseHandshake, type MseEvent, type MseHandshakeOptions } from './handshake.js';

export interface MseResult {
  readonly stream: EncryptedStream;
  readonly method: MseMethod;
  readonly skey: Uint8Array;
  /** Decrypted bytes that followed the handshake; hand them to the wire decoder first. */
  readonly payload: Uint8Array;
}

/**
 * `options` without `now` (taken from `clock`). `alreadyRead`: bytes the caller read while
 * telling an encrypted connection from a plaintext one.
 */
export function negotiateMse(
  clock: Clock,
  stream: ByteStream,
  options: DistributiveOmit<MseHandshakeOptions, 'now'>,
  alreadyRead?: Uint8Array,
): Promise<MseResult> {
  return new Promise((resolve, reject) => {
    let hs: MseHandshake;
    try {
      hs = new MseHandshake({ ...options, now: clock.now() } as MseHandshakeOptions);
    } catch (e) {
      stream.destroy();
      reject(e);
      return;
    }
    let timer: TimerHandle | undefined;
    let settled = false;

    const flush = (): void => {
      const out = hs.takeOutgoing();
      if (out.length === 1) stream.write(out[0]);
      else if (out.length > 1) stream.writev(out);
    };
    const handle = (events: MseEvent[]): void => {
      flush();
      for (const e of events) {
        if (settled) return;
        settled = true;
        timer?.cancel();
        if (e.type === 'error') {
          stream.destroy(e.error);
          reject(e.error);
          return;
        }
        // The encrypted stream takes over the inner stream's handlers from here.
        resolve({ stream: new EncryptedStream(stream, e.method, e.ciphers), method: e.method, skey: e.skey, payload: e.payload });
      }
    };

    stream.onData((bytes) => {
      if (!settled) handle(hs.receive(bytes));
    });
    stream.onEnd(() => {
      if (!settled) handle(hs.end());
    });
    stream.onClose(() => {
      if (!settled) handle(hs.end());
    });
    const deadline = hs.nextDeadline();
    timer = clock.setTimer(Math.max(0, deadline - clock.now()), () => {
      timer = undefined;
      if (!settled) handle(hs.poll(Math.max(clock.now(), deadline)));
    });
    flush();
    if (alreadyRead && alreadyRead.length > 0) handle(hs.receive(alreadyRead));
  });
}

/** `Omit` applied to each member of a union (plain `Omit` would merge the roles). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
