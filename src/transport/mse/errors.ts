/**
 * Errors of Message Stream Encryption. An `MseError` is the remote side's doing (it sent
 * something the MSE rules or our limits refuse, or stopped answering); the caller drops the
 * connection and, when dialling with the `prefer` policy, may fall back to plaintext.
 */
import { InputError } from '../../errors.js';

export type MseViolation =
  | 'bad_public_key' // a Diffie-Hellman key outside [2, P-2]
  | 'no_sync' // no HASH('req1', S) / ENCRYPT(VC) within the padding window
  | 'unknown_torrent' // HASH('req2', SKEY) names no torrent we have
  | 'skey_mismatch' // the BT handshake inside names another torrent than the MSE handshake did
  | 'bad_vc' // the verification constant did not decrypt to zeros
  | 'bad_crypto' // crypto_provide / crypto_select offers nothing our policy allows
  | 'bad_padding' // a pad length over 512
  | 'payload_too_long' // len(IA) over our limit
  | 'refused' // plaintext refused by policy, or encryption refused by policy
  | 'closed' // the connection ended during the handshake
  | 'timeout'; // the handshake did not finish in time

export class MseError extends InputError {
  readonly violation: MseViolation;
  constructor(violation: MseViolation, message: string, options?: { cause?: unknown }) {
    super(`encryption: ${message}`, options);
    this.violation = violation;
  }
}
