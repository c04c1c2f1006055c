/**
 * Runs `body` with `check` called on the swarm after every call of the named `Swarm` methods
 * (derived state checked against a scan through a whole simulated swarm); returns how many
 * checks ran. The methods are restored afterwards, whatever `body` does.
 */
import { Swarm } from '../../src/swarm/swarm.js';

export async function withSwarmChecks(methods: readonly string[], check: (swarm: Swarm) => void, body: () => Promise<void>): Promise<number> {
  const proto = Swarm.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = methods.map((m) => proto[m]);
  let checks = 0;
  methods.forEach((m, i) => {
    const f = saved[i];
    proto[m] = function (this: Swarm, ...a: unknown[]) {
      const r = f.apply(this, a);
      check(this);
      checks++;
      return r;
    };
  });
  try {
    await body();
  } finally {
    methods.forEach((m, i) => (proto[m] = saved[i]));
  }
  return checks;
}
