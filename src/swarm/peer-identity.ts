/**
 * Who a connection is with, by peer id rather than address: ourselves (a dial that reached
 * our own listener, through PEX, a tracker or a NAT's hairpin) or a peer we are already
 * connected to (it dialled us while we dialled it, or it is reachable at two addresses).
 */

/** Whether two 20-byte peer ids are equal. */
export function samePeerId(a: Uint8Array, b: Uint8Array): boolean {
  // A loop, not Buffer.compare: every handshake compares against each connected peer, and the
  // native call costs more than the bytes (ids differ right after the client prefix).
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface IdentifiedConnection {
  /** True when the peer dialled us. */
  readonly incoming: boolean;
}

/**
 * Two connections to the same peer id: which one to keep. Both sides must agree without
 * talking, so when one was dialled by each side, the one dialled by the side with the lower
 * peer id is kept (the other side computes the same answer); when both were dialled the same
 * way, the older one stays.
 */
export function keepOfDuplicates<C extends IdentifiedConnection>(ourId: Uint8Array, theirId: Uint8Array, older: C, newer: C): C {
  if (older.incoming === newer.incoming) return older;
  const weDialledKept = Buffer.compare(ourId, theirId) < 0;
  const ours = older.incoming ? newer : older;
  const theirs = older.incoming ? older : newer;
  return weDialledKept ? ours : theirs;
}
