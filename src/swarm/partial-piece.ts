/** The piece picker's book-keeping for one piece being downloaded (`piece-picker.ts`). */

/** A block's state: not requested, requested (from `requesters`), received. */
export const NONE = 0, REQUESTED = 1, RECEIVED = 2;

export class Partial<P> {
  readonly state: Uint8Array;
  /** Peers each block is currently requested from (more than one only in end game). */
  readonly requesters: (P[] | undefined)[];
  unrequested: number;
  received = 0;
  constructor(readonly blocks: number) {
    this.state = new Uint8Array(blocks);
    this.requesters = new Array(blocks);
    this.unrequested = blocks;
  }
}

/** Bytes of a piece's blocks requested and not yet received, counted once per peer asked. */
export function requestedBytesOf<P>(p: Partial<P>, blockLength: (block: number) => number): number {
  let n = 0;
  for (let b = 0; b < p.blocks; b++) {
    const who = p.requesters[b];
    if (p.state[b] === REQUESTED && who) n += who.length * blockLength(b);
  }
  return n;
}
