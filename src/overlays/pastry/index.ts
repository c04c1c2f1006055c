/** Pastry as a comparable overlay: the factory the harness uses, and its ground truth. */
import type { Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayFactory, OverlayNodeContext } from '../types.js';
import { RingOracle } from '../common/ring-oracle.js';
import { PastryNode, type PastryOptions } from './node.js';

export { PastryNode, PASTRY_DEFAULTS } from './node.js';
export type { PastryOptions } from './node.js';
export { PastryState } from './state.js';

export function pastryOverlay(options: Partial<PastryOptions> = {}): OverlayFactory<PastryNode> {
  return {
    name: 'pastry',
    family: 'structured',
    create: (rt: Runtime, ep: UdpEndpoint, ctx: OverlayNodeContext) => new PastryNode(rt, ep, ctx, options),
    // Pastry: the live node numerically closest to the key.
    createOracle: () => new RingOracle<PastryNode>('closest'),
  };
}
