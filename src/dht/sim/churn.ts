/**
 * Churn with heavy-tailed session lengths: each node's remaining session is drawn from a
 * Weibull distribution (shape 0.5 by default, as measured for Mainline/Kad peers: most
 * sessions are short, a few last for days), scaled so that a chosen fraction of the nodes
 * leaves within the window. A node that leaves goes offline (its datagrams are lost) and
 * comes back after an offline spell drawn from the same distribution, restarting its
 * bootstrap from its own routing table, as a client that restarts would.
 */
import type { DhtSimNetwork } from './network.js';
import { weibull, weibullScaleFor } from './stats.js';

export interface ChurnOptions {
  /** Share of nodes whose session ends within `windowMs`. */
  readonly fraction: number;
  readonly windowMs: number;
  /** Weibull shape. Default 0.5. */
  readonly shape?: number;
  /** Nodes that must stay (e.g. the ones a test measures from). */
  readonly keep?: (i: number) => boolean;
}

export interface ChurnStats {
  departures: number;
  returns: number;
}

/** Schedules departures and returns from now on; returns live counters. */
export function scheduleChurn(net: DhtSimNetwork, o: ChurnOptions): ChurnStats {
  const stats: ChurnStats = { departures: 0, returns: 0 };
  if (!(o.fraction > 0)) return stats;
  const shape = o.shape ?? 0.5;
  const scale = weibullScaleFor(o.windowMs, Math.min(o.fraction, 0.999), shape);
  const sim = net.sim;
  const cycle = (i: number, after: number): void => {
    const session = weibull(sim.random.next(), shape, scale);
    if (after + session > o.windowMs) return;
    sim.schedule(session, () => {
      net.hosts[i].goOffline();
      stats.departures++;
      const away = weibull(sim.random.next(), shape, scale);
      sim.schedule(away, () => {
        net.hosts[i].goOnline();
        stats.returns++;
        net.nodes[i].bootstrap();
        cycle(i, after + session + away);
      });
    });
  };
  for (let i = 0; i < net.size; i++) {
    if (o.keep?.(i)) continue;
    cycle(i, 0);
  }
  return stats;
}
