/** Chord as a comparable overlay: the factory the harness uses, and its ground truth. */
import type { Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayFactory, OverlayNodeContext } from '../types.js';
import { RingOracle } from '../common/ring-oracle.js';
import { ChordNode } from './node.js';
import type { ChordOptions } from './options.js';

export { ChordNode } from './node.js';
export { CHORD_DEFAULTS, type ChordOptions } from './options.js';
export { ChordRouting } from './routing.js';

export function chordOverlay(options: Partial<ChordOptions> = {}): OverlayFactory<ChordNode> {
  return {
    name: 'chord',
    family: 'structured',
    create: (rt: Runtime, ep: UdpEndpoint, ctx: OverlayNodeContext) => new ChordNode(rt, ep, ctx, options),
    // Chord: the key's successor, the first live node at or after it on the ring.
    createOracle: () => new RingOracle<ChordNode>('successor'),
  };
}
