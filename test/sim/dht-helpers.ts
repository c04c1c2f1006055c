/** Helpers for DHT tests on the simulator (not a test file itself). */
import { Dht } from '../../src/dht/dht.js';
import { keyPairFromSeed } from '../../src/dht/ed25519.js';
import type { DhtSimNetwork } from '../../src/dht/sim/network.js';

/** Fixed keys keep the simulated runs deterministic (the target decides which nodes store the item). */
export const fixedKeyPair = (n: number) => keyPairFromSeed(new Uint8Array(32).fill(n));

/** Runs the simulator until `p` settles (it settles from simulated callbacks). */
export async function settle<T>(net: DhtSimNetwork, p: Promise<T>, ms = 60_000): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  const end = net.sim.now + ms;
  while (!done && net.sim.now < end) {
    net.sim.runForSync(500);
    await Promise.resolve();
  }
  return p;
}

/** A `Dht` client on a new simulated host, started (not yet bootstrapped) with `options` over a default bind. */
export function startSimClient(net: DhtSimNetwork, options: Parameters<typeof Dht.start>[1] = {}): Promise<Dht> {
  const host = net.sim.createHost();
  const started = Dht.start(host.runtime, { bind: { host: host.address, port: 6881 }, ...options });
  net.sim.runSync({ until: net.sim.now });
  return started;
}
