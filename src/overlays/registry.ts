/** The overlays the comparison knows, by name. */
import type { OverlayFactory, OverlayName, OverlayNode, PendingOverlay } from './types.js';
import { floodingOverlay } from './flooding/index.js';
import { randomWalkOverlay } from './random-walk/index.js';
import { superPeerOverlay } from './super-peer/index.js';
import { chordOverlay } from './chord/index.js';
import { pastryOverlay } from './pastry/index.js';
import { kademliaOverlay } from './kademlia/index.js';

export interface RegistryOptions {
  /** Chord's lookup style. Default 'iterative'. */
  chordLookup?: 'iterative' | 'recursive';
}

/** The factory for an overlay, or a `PendingOverlay` when it cannot run yet. */
export function overlayFactory(name: OverlayName, options: RegistryOptions = {}): OverlayFactory<OverlayNode> | PendingOverlay {
  switch (name) {
    case 'flooding':
      return floodingOverlay();
    case 'random-walk':
      return randomWalkOverlay();
    case 'super-peer':
      return superPeerOverlay();
    case 'chord':
      return chordOverlay({ lookup: options.chordLookup ?? 'iterative' });
    case 'pastry':
      return pastryOverlay();
    case 'kademlia':
      return kademliaOverlay();
  }
}

export function isPending(f: OverlayFactory<OverlayNode> | PendingOverlay): f is PendingOverlay {
  return 'pending' in f;
}
