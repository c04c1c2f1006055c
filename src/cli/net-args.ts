/** Parsing of HOST:PORT arguments and the state directory shared by the networking commands. */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Address } from '../runtime/types.js';
import { DEFAULT_ENCRYPTION_POLICY, parseEncryptionPolicy, type EncryptionOptions } from '../transport/mse/index.js';
import { UsageError } from './errors.js';

/** `1.2.3.4:6881`, `[::1]:6881`, `localhost:6881`. */
export function parseHostPort(text: string, what = 'address'): Address {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${what} must be HOST:PORT, got '${text}'`);
  return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1], port };
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export { defaultStateDir } from './state-dir.js';

const ENCRYPTION_HELP = 'peer encryption (MSE/PE): prefer (default: accept both, dial encrypted first), require (encrypted only) or plaintext';

/** The `--encryption` option of `get` and `seed`. */
export function addEncryptionOption(cmd: Command): Command {
  return cmd.option('--encryption <policy>', ENCRYPTION_HELP, 'prefer');
}

/** `--encryption`'s value as session options; DH private keys from `node:crypto`. */
export function parseEncryption(text: string | undefined): EncryptionOptions {
  const policy = parseEncryptionPolicy(text ?? DEFAULT_ENCRYPTION_POLICY);
  if (!policy) throw new UsageError(`--encryption must be prefer, require or plaintext, got '${text}'`);
  return { policy, secretBytes: (n) => randomBytes(n) };
}

/** Most regular unchoke slots `--unchoke-slots` takes (more than peers per torrent is pointless). */
export const MAX_UNCHOKE_SLOTS = 500;

/** The `--unchoke-slots` option of `get` and `seed`. */
export function addUnchokeSlotsOption(cmd: Command): Command {
  return cmd.option('--unchoke-slots <n|auto>', 'peers we upload to at once: a number (default 8, as libtorrent) or auto (sized from upload rates)');
}

/** `--unchoke-slots`' value: a whole number of slots, 'auto', or undefined (the session's default, 8). */
export function parseUnchokeSlots(text: string | undefined): number | 'auto' | undefined {
  if (text === undefined) return undefined;
  if (text === 'auto') return 'auto';
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_UNCHOKE_SLOTS)) throw new UsageError(`--unchoke-slots must be a number from 1 to ${MAX_UNCHOKE_SLOTS} or auto, got '${text}'`);
  return n;
}

/** Choking strategies `--choker` takes (docs/swarm.md). */
export const CHOKER_POLICIES = ['tit-for-tat', 'tyrant'] as const;
export type ChokerPolicy = (typeof CHOKER_POLICIES)[number];

/** The `--choker` option of `get` and `seed`. */
export function addChokerOption(cmd: Command): Command {
  return cmd.option('--choker <policy>', 'whom we upload to: tit-for-tat (default, as every client) or tyrant (BitTyrant: the peers that give most for least upload)');
}

/** `--choker`'s value, or undefined (the session's default, tit-for-tat). */
export function parseChoker(text: string | undefined): { policy: ChokerPolicy } | undefined {
  if (text === undefined) return undefined;
  const policy = CHOKER_POLICIES.find((p) => p === text);
  if (!policy) throw new UsageError(`--choker must be ${CHOKER_POLICIES.join(' or ')}, got '${text}'`);
  return { policy };
}
