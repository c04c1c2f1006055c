/** The super-peer (hybrid) overlay as a comparable overlay. */
import type { Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayFactory, OverlayNodeContext } from '../types.js';
import { SuperPeerNode, type SuperPeerOptions } from './node.js';

export { SuperPeerNode, SUPER_PEER_DEFAULTS } from './node.js';
export type { SuperPeerOptions } from './node.js';

export function superPeerOverlay(options: Partial<SuperPeerOptions> = {}): OverlayFactory<SuperPeerNode> {
  return {
    name: 'super-peer',
    family: 'hybrid',
    create: (rt: Runtime, ep: UdpEndpoint, ctx: OverlayNodeContext) => new SuperPeerNode(rt, ep, ctx, options),
  };
}
