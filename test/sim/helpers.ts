/** Small helpers for simulator tests (not a test file itself). */
import type { UdpEndpoint } from '../../src/runtime/types.js';
import type { SimHost, Simulator } from '../../src/sim/index.js';

/** Binds one UDP endpoint per host (port 0 unless given) and returns them, in order. */
export async function bindAll(sim: Simulator, hosts: readonly SimHost[], port = 0): Promise<UdpEndpoint[]> {
  const pending = hosts.map((h) => h.runtime.udp.bind({ host: h.address, port }));
  sim.runSync({ until: sim.now });
  return Promise.all(pending);
}

/** Records (virtual time, payload length) of each datagram an endpoint receives. */
export function recordArrivals(sim: Simulator, ep: UdpEndpoint): { t: number; n: number }[] {
  const out: { t: number; n: number }[] = [];
  ep.onMessage((data) => out.push({ t: sim.now, n: data.byteLength }));
  return out;
}
