/**
 * Child process for nat-miniupnpd.test.ts, run inside the LAN namespace: finds the default
 * gateway the way the daemon would, listens on TCP and UDP <port>, maps both with PortMapper
 * over the real runtime, and prints one JSON line per event. The TCP listener answers
 * "shoal:<port>" to each connection and the UDP one echoes, so the test can reach them
 * through the mapping. SIGTERM deletes the mappings, prints the final states and exits.
 *
 * argv: <port> <lifetimeSeconds> <protocols, comma-separated: pcp,natpmp>
 */
import { createNodeRuntime } from '../../../src/runtime/node/index.js';
import { findDefaultGateway } from '../../../src/runtime/node/gateway.js';
import { PortMapper, type GatewayProtocol } from '../../../src/nat/index.js';

const port = Number(process.argv[2]);
const lifetimeSeconds = Number(process.argv[3] ?? 7200);
const protocols = (process.argv[4] ?? 'pcp,natpmp').split(',') as GatewayProtocol[];
const print = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

const rt = createNodeRuntime();
const gw = findDefaultGateway();
if (!gw) {
  print({ type: 'error', message: 'no default gateway' });
  process.exit(1);
}
print({ type: 'gateway', ...gw });
await rt.stream.listen({ host: '0.0.0.0', port }, (s) => {
  s.write(new TextEncoder().encode(`shoal:${port}\n`));
  s.end();
});
const udpService = await rt.udp.bind({ host: '0.0.0.0', port });
udpService.onMessage((data, from) => udpService.send(data, from));
const socket = await rt.udp.bind({ host: '0.0.0.0', port: 0 });
const mapper = new PortMapper({
  clock: rt.clock,
  random: rt.random,
  socket,
  gateway: gw.gateway,
  clientAddress: gw.localAddress,
  lifetimeSeconds,
  protocols,
  // The test's router grants short leases; renew as the lease asks.
  minRenewIntervalMs: 1000,
  mappings: [{ protocol: 'tcp', internalPort: port }, { protocol: 'udp', internalPort: port }],
  onEvent: (e) => print({ ...e, at: rt.clock.now() }),
});
mapper.start();
print({ type: 'started' });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void mapper.stop().then(() => {
    print({ type: 'stopped', mappings: mapper.mappings() });
    rt.close();
    process.exit(0);
  });
});
