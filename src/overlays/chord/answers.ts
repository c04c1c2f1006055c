/**
 * What a Chord node answers, as pure functions of its routing state: the replies to
 * GET_PRED (stabilise and finger checks), FIND (one iterative lookup step) and OWNER_Q
 * ("are you responsible for this key?"). The node (`node.ts`) decodes the request and
 * sends what these return.
 */
import { inOpen } from '../common/ring.js';
import type { ChordKeyStore } from './keys.js';
import type { ChordRouting } from './routing.js';
import * as M from './messages.js';

/** Output buffers shared by every node (a reply is built and encoded synchronously). */
const scratchIds: number[] = [];
const scratchKeys: number[] = [];

/** The successor list of a PRED_REPLY (written by index, see `copySuccessors`). */
const succIds: number[] = [];
const succKeys: number[] = [];

/** Contacts a FIND that is not done returns: the closest preceding nodes known. */
const FIND_CLOSER = 3;

function pred(r: ChordRouting): M.Contact | null {
  return r.hasPred ? { id: r.predId, key: r.predKey } : null;
}

/** PRED_REPLY: the predecessor and the successor list. */
export function predReply(r: ChordRouting, traffic: number, tx: number): Uint8Array {
  const n = r.copySuccessors(succIds, succKeys);
  return M.encodePredReply(traffic, tx, pred(r), succIds, succKeys, n);
}

/**
 * FIND_REPLY: closer nodes, or (done) the successors at or after the key when one of them is
 * responsible. A node that knows no successor answers with itself.
 */
export function findReply(r: ChordRouting, traffic: number, m: { tx: number; key: number }): Uint8Array {
  if (r.succCount === 0) return M.encodeFindReply(traffic, m.tx, true, [r.id], [r.selfKey], 1);
  if (!r.successorsCover(m.key)) {
    const n = r.closestPreceding(m.key, FIND_CLOSER, scratchIds, scratchKeys);
    if (n > 0) return M.encodeFindReply(traffic, m.tx, false, scratchIds, scratchKeys, n);
  }
  // Done: the successors at or after the key (the ones before it cannot be responsible).
  scratchIds.length = 0;
  scratchKeys.length = 0;
  for (let i = 0; i < r.succCount; i++) {
    if (inOpen(r.succId(i), r.id, m.key)) continue;
    scratchIds.push(r.succId(i));
    scratchKeys.push(r.succKey(i));
  }
  return M.encodeFindReply(traffic, m.tx, true, scratchIds, scratchKeys, scratchIds.length);
}

/** OWNER_R: whether this node is responsible for the key, its predecessor, and the value it holds. */
export function ownerReply(r: ChordRouting, store: ChordKeyStore, traffic: number, m: { tx: number; key: number }): Uint8Array {
  return M.encodeOwnerReply(traffic, m.tx, r.owns(m.key), pred(r), store.get(m.key));
}

/** JOIN_HELLO from `from` with id `id`: this node takes the joiner as predecessor when it falls between the old one and itself. */
export function takesAsPredecessor(r: ChordRouting, id: number, from: number): boolean {
  return !r.hasPred || r.predKey === from || inOpen(id, r.predId, r.id);
}

/**
 * WELCOME: the predecessor the joiner should take (ours, unless it was the joiner itself),
 * our successor list, and every contact we know plus ourselves as hints for its fingers
 * (the paper's join optimisation). Built before this node changes its own state.
 */
export function welcome(r: ChordRouting, tx: number, from: number, takes: boolean): Uint8Array {
  const p = pred(r);
  const hints = r.contacts();
  hints.ids.push(r.id);
  hints.keys.push(r.selfKey);
  return M.encodeWelcome(tx, takes && p?.key === from ? null : p, r.successorList(), hints);
}

/**
 * LEAVING, for a node leaving gracefully: to its successor, its predecessor (to take as the
 * new one); to its predecessor (when another node), its successor list (to splice in).
 */
export function leaving(r: ChordRouting): { toSuccessor: Uint8Array; toPredecessor: Uint8Array | null } {
  const succ = r.successorList();
  const toSuccessor = M.encodeLeaving(pred(r), succ.ids, succ.keys, 0);
  const toPredecessor = r.hasPred && r.predKey !== r.succKey(0) ? M.encodeLeaving(null, succ.ids, succ.keys, succ.ids.length) : null;
  return { toSuccessor, toPredecessor };
}
