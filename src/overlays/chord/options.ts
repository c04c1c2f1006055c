/**
 * A Chord node's options and their defaults. Every node of a simulation built from one
 * factory call shares one resolved options object.
 */
import { DEFAULT_MAX_MESSAGE_BYTES } from '../common/base-node.js';

export interface ChordOptions {
  /** The node's id on the 2^48 ring; default random from the runtime. */
  id?: number;
  /** Successor list length r. Default 8. */
  successors: number;
  /** Stabilise / fix-finger period, ms (jittered +-25%). Default 5 000. */
  stabiliseMs: number;
  /** Timeout of a request (GET_PRED, FIND, OWNER_Q, JOIN_HELLO), ms. Default 1 000. */
  rpcTimeoutMs: number;
  /** Timeout of a recursive hop's acknowledgement, ms. Default 500. */
  hopTimeoutMs: number;
  lookup: 'iterative' | 'recursive';
  /** A query not answered by then fails, ms. Default 20 000. */
  queryTimeoutMs: number;
  /** Keys stored at most (puts beyond are dropped). Default 100 000. */
  maxStoredKeys: number;
  maxMessageBytes: number;
}

export const CHORD_DEFAULTS: ChordOptions = {
  successors: 8,
  stabiliseMs: 5_000,
  rpcTimeoutMs: 1_000,
  hopTimeoutMs: 500,
  lookup: 'iterative',
  queryTimeoutMs: 20_000,
  maxStoredKeys: 100_000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};

/**
 * Options objects by the partial options they were made from: a simulation creates a million
 * nodes from one factory call, and a copy per node would cost about 90 bytes each.
 */
const resolved = new WeakMap<Partial<ChordOptions>, ChordOptions>();
export const NO_OPTIONS: Partial<ChordOptions> = Object.freeze({});

export function resolveOptions(options: Partial<ChordOptions>): ChordOptions {
  // A fixed id is per node: never shared.
  if (options.id !== undefined) return { ...CHORD_DEFAULTS, ...options };
  let o = resolved.get(options);
  if (o === undefined) {
    o = Object.freeze({ ...CHORD_DEFAULTS, ...options });
    resolved.set(options, o);
  }
  return o;
}
