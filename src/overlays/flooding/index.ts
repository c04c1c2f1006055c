/**
 * Flooding search over an unstructured overlay (Gnutella 0.4): every query goes to every
 * neighbour, hop by hop, until its TTL runs out; duplicates are dropped by guid and hits
 * come back along the reverse path. The core is `unstructured/node.ts`.
 */
import type { Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayFactory, OverlayNodeContext } from '../types.js';
import { UnstructuredNode, type UnstructuredOptions } from '../unstructured/node.js';

export function floodingOverlay(options: Partial<UnstructuredOptions> = {}): OverlayFactory<UnstructuredNode> {
  return {
    name: 'flooding',
    family: 'unstructured',
    create: (rt: Runtime, ep: UdpEndpoint, ctx: OverlayNodeContext) => new UnstructuredNode(rt, ep, ctx, { ...options, search: 'flood' }),
  };
}
