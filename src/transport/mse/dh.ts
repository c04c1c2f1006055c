/**
 * The Diffie-Hellman exchange of Message Stream Encryption: a 768-bit safe prime (MSE's own
 * P, ending ...A63A36210000000000090563; not RFC 2409's Oakley group 1, which ends in 64 one
 * bits, so Node's `getDiffieHellman('modp1')` does not fit), generator 2, public keys as
 * 96-byte big-endian numbers, private keys of 160 bits as the MSE document recommends.
 *
 * `node:crypto` does the arithmetic (pure computation, no I/O): one DH object built once
 * (building checks the prime, ~20 ms) and re-keyed per connection measured 0.09 ms per key
 * pair against 0.42 ms for a BigInt square-and-multiply. The private key bytes come from the
 * caller, so the simulator stays replayable.
 */
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';
import { MseError } from './errors.js';

export const DH_PRIME_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563';
/** Bytes of a public key and of the shared secret S. */
export const DH_KEY_LENGTH = 96;
/** Bytes of a private key (160 bits). */
export const DH_PRIVATE_KEY_LENGTH = 20;

const PRIME = BigInt(`0x${DH_PRIME_HEX}`);
let shared: DiffieHellman | undefined;

function dh(): DiffieHellman {
  shared ??= createDiffieHellman(Buffer.from(DH_PRIME_HEX, 'hex'), 2);
  return shared;
}

/** Left-pads a big-endian number to 96 bytes (Y and S are always sent at full length). */
function pad96(b: Uint8Array): Uint8Array {
  if (b.length === DH_KEY_LENGTH) return new Uint8Array(b);
  const out = new Uint8Array(DH_KEY_LENGTH);
  out.set(b.subarray(Math.max(0, b.length - DH_KEY_LENGTH)), Math.max(0, DH_KEY_LENGTH - b.length));
  return out;
}

/** Our public key Y = 2^x mod P for the private key `x`. */
export function dhPublicKey(privateKey: Uint8Array): Uint8Array {
  const d = dh();
  d.setPrivateKey(privateKey);
  return pad96(d.generateKeys());
}

/**
 * The shared secret S = Y^x mod P, 96 bytes. A remote key outside [2, P - 2] (0, 1 and
 * P - 1 give a guessable secret) is the peer's fault: `MseError('bad_public_key')`.
 */
export function dhSecret(privateKey: Uint8Array, remotePublic: Uint8Array): Uint8Array {
  const y = BigInt(`0x${Buffer.from(remotePublic).toString('hex')}`);
  if (y < 2n || y > PRIME - 2n) throw new MseError('bad_public_key', 'the peer sent a Diffie-Hellman key outside [2, P-2]');
  const d = dh();
  d.setPrivateKey(privateKey);
  try {
    return pad96(d.computeSecret(remotePublic));
  } catch (e) {
    throw new MseError('bad_public_key', `the peer's Diffie-Hellman key was refused: ${(e as Error).message}`, { cause: e });
  }
}
