/**
 * The impairing UDP relay (test/interop/utp-relay.ts) as its own process, so it does not share
 * an event loop with the Shoal it measures. Prints `{"port": N}` once listening and its
 * counters as JSON on SIGTERM.
 *
 * node dist/bench/utp-relay-proc.js LISTEN_HOST TARGET_HOST:PORT DELAY_MS LOSS REORDER [SEED]
 */
import { startImpairedRelay } from '../test/interop/utp-relay.js';

const [listenHost, target, delay, loss, reorder, seed] = process.argv.slice(2);
const [host, port] = target.split(':');
const relay = await startImpairedRelay({
  listenHost, outHost: listenHost, target: { host, port: Number(port) },
  impair: { delayMs: Number(delay), loss: Number(loss), reorder: Number(reorder), seed: Number(seed ?? 1) },
});
console.log(JSON.stringify({ port: relay.address.port }));
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ stats: relay.stats }));
  relay.close();
  process.exit(0);
});
