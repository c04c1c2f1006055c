/**
 * Child process for nat-miniupnpd.test.ts, run inside the LAN namespace: finds the default
 * gateway the way the daemon would, listens on TCP and UDP <port>, maps both with PortMapper
 * over the real runtime, and prints one JSON line per event. The TCP listener answers
 * "shoal:<port>" to each connection and the UDP one echoes, so the test can reach them
 * through the mapping. SIGTERM deletes the mappings, prints the final states and exits.
 *
 * argv: <port> <lifetimeSeconds> <protocols, comma-separated: pcp,natpmp; or upnp> [map-only]
 * (map-only: no listeners of its own; something else, e.g. `shoal seed`, listens on <port>)
 */
import { createNodeRuntime } from '../../../src/runtime/node/index.js';
import { findDefaultGateway } from '../../../src/runtime/node/gateway.js';
import { PortMapper, UpnpMapper, createHttpRequester, type GatewayProtocol } from '../../../src/nat/index.js';

const port = Number(process.argv[2]);
const lifetimeSeconds = Number(process.argv[3] ?? 7200);
const which = process.argv[4] ?? 'pcp,natpmp';
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
if (process.argv[5] !== 'map-only') {
  await rt.stream.listen({ host: '0.0.0.0', port }, (s) => {
    s.write(new TextEncoder().encode(`shoal:${port}\n`));
    s.end();
  });
  const udpService = await rt.udp.bind({ host: '0.0.0.0', port });
  udpService.onMessage((data, from) => udpService.send(data, from));
}
const socket = await rt.udp.bind({ host: '0.0.0.0', port: 0 });
const common = {
  clock: rt.clock,
  socket,
  lifetimeSeconds,
  // The test's router grants short leases; renew as the lease asks.
  minRenewIntervalMs: 1000,
  mappings: [{ protocol: 'tcp', internalPort: port }, { protocol: 'udp', internalPort: port }] as const,
  onEvent: (e: unknown) => print({ ...(e as object), at: rt.clock.now() }),
};
const mapper = which === 'upnp'
  ? new UpnpMapper({ ...common, http: createHttpRequester(rt.http, rt.clock), internalClient: gw.localAddress ?? '0.0.0.0' })
  : new PortMapper({ ...common, random: rt.random, gateway: gw.gateway, clientAddress: gw.localAddress, protocols: which.split(',') as GatewayProtocol[] });
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
