/**
 * k random walkers with periodic check-back (Lv, Cao, Cohen, Li, Shenker, "Search and
 * replication in unstructured peer-to-peer networks", 2002) over the same unstructured
 * overlay as flooding (`unstructured/node.ts`).
 */
import type { Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayFactory, OverlayNodeContext } from '../types.js';
import { UnstructuredNode, type UnstructuredOptions } from '../unstructured/node.js';

export function randomWalkOverlay(options: Partial<UnstructuredOptions> = {}): OverlayFactory<UnstructuredNode> {
  return {
    name: 'random-walk',
    family: 'unstructured',
    create: (rt: Runtime, ep: UdpEndpoint, ctx: OverlayNodeContext) => new UnstructuredNode(rt, ep, ctx, { ...options, search: 'walk' }),
  };
}
