/**
 * UPnP IGD on the simulator's NAT gateways (src/sim/upnp-igd.ts): Shoal's real port mapping
 * (`startPortMapping`: SSDP search, device description, SOAP) maps the TCP and UDP listen
 * ports through a simulated router that speaks only UPnP, and a stranger then reaches the
 * host through them; IGD v1 (AddPortMapping, 718 on a taken port, 725 for old routers) and
 * v2 (AddAnyPortMapping picks another port); secure mode; deletes on stop.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, NatRouter, Simulator, type NatGatewayOptions } from '../../src/sim/index.js';
import { startPortMapping } from '../../src/nat/nat-manager.js';
import { encodeMSearch, encodeSoap, IGD_DEVICE_V1, IGD_DEVICE_V2 } from '../../src/nat/upnp-codec.js';
import { simUpnpRequester } from '../../src/sim/upnp-http.js';
import { IGD_CONTROL_PATH, IgdResponder, MAX_IGD_REQUEST_BYTES } from '../../src/sim/upnp-igd.js';
import type { MappingState } from '../../src/nat/index.js';

const PORT = 6881;

async function setup(gateway: Partial<NatGatewayOptions>) {
  const sim = new Simulator({ seed: 3, latency: new ConstantLatency(10), connectTimeoutMs: 2000, yieldMode: 'microtasks' });
  const inside = sim.createHost(), stranger = sim.createHost();
  const gw = NatRouter.of(sim.network).add(inside, { type: 'port-restricted', ...gateway });
  const udpP = inside.runtime.udp.bind({ host: inside.address, port: PORT });
  const strangerP = stranger.runtime.udp.bind({ host: stranger.address, port: 4000 });
  let accepted = 0;
  const listenP = inside.runtime.stream.listen({ host: inside.address, port: PORT }, () => accepted++);
  await sim.runFor(1);
  const [udp, ex] = await Promise.all([udpP, strangerP, listenP]).then(([a, b]) => [a, b] as const);
  const datagrams: string[] = [];
  udp.onMessage((_d, from) => datagrams.push(from.host));
  /** Whether the stranger gets a TCP connection and a datagram through to `port` of the public address. */
  const reach = async (port: number): Promise<{ tcp: boolean; udp: boolean }> => {
    const before = [accepted, datagrams.length];
    const conn = stranger.runtime.stream.connect({ host: gw.publicAddress, port }).then(() => true, () => false);
    ex.send(Uint8Array.of(1), { host: gw.publicAddress, port });
    await sim.runFor(3000);
    return { tcp: (await conn) && accepted > before[0], udp: datagrams.length > before[1] };
  };
  return { sim, inside, stranger, gw, reach };
}

const brief = (m: MappingState): [string, string, string | undefined, number | undefined] => [m.protocol, m.status, m.via, m.externalPort];

describe('UPnP IGD on the simulated NAT gateway', () => {
  it("Shoal's port mapping finds an IGD v2 by SSDP and maps TCP and UDP; a stranger gets in; stop deletes the mappings", async () => {
    const { sim, inside, gw, reach } = await setup({ upnp: 2 });
    assert.deepEqual(await reach(PORT), { tcp: false, udp: false }, 'nothing gets in before the mapping');
    const managerP = startPortMapping(inside.runtime, {
      tcpPort: PORT, udpPort: PORT, gateway: { gateway: gw.lanAddress, localAddress: inside.address }, http: simUpnpRequester(inside),
    });
    await sim.runFor(2000);
    const manager = await managerP;
    const status = manager.status();
    assert.deepEqual(status.upnp.map(brief), [['tcp', 'mapped', 'upnp', PORT], ['udp', 'mapped', 'upnp', PORT]]);
    assert.equal(status.externalAddress, gw.publicAddress, 'GetExternalIPAddress');
    assert.ok(status.upnp.every((m) => m.externalAddress === gw.publicAddress));
    assert.equal(gw.forwardCount('tcp') + gw.forwardCount('udp'), 2);
    assert.ok(gw.igd!.stats.ssdpAnswered >= 1 && gw.igd!.stats.soapCalls >= 3, JSON.stringify(gw.igd!.stats));
    assert.deepEqual(await reach(PORT), { tcp: true, udp: true }, 'the forwards let a stranger in');
    const stopped = manager.stop();
    await sim.runFor(1000);
    await stopped;
    assert.deepEqual(manager.status().upnp.map((m) => m.status), ['removed', 'removed']);
    assert.equal(gw.forwardCount('tcp') + gw.forwardCount('udp'), 0, 'DeletePortMapping removed both');
    assert.deepEqual(await reach(PORT), { tcp: false, udp: false });
  });

  it('IGD v1: AddPortMapping at the same port; a port taken by another mapping is refused with 718, where v2 picks another port', async () => {
    for (const upnp of [1, 2] as const) {
      const { sim, inside, gw, reach } = await setup({ upnp });
      // Another mapping holds the external port (a second device's forward, say).
      assert.equal(gw.forward('tcp', 7000, PORT, 3600, true), PORT);
      const managerP = startPortMapping(inside.runtime, {
        tcpPort: PORT, gateway: { gateway: gw.lanAddress, localAddress: inside.address }, http: simUpnpRequester(inside),
      });
      await sim.runFor(2000);
      const [tcp] = (await managerP).status().upnp;
      if (upnp === 1) {
        assert.equal(tcp.status, 'failed');
        assert.match(tcp.reason ?? '', /718 ConflictInMappingEntry/);
      } else {
        assert.equal(tcp.status, 'mapped', 'AddAnyPortMapping');
        assert.notEqual(tcp.externalPort, PORT, 'NewReservedPort: another port');
        assert.equal((await reach(tcp.externalPort!)).tcp, true);
      }
    }
  });

  it('an old v1 router that takes only permanent leases (725) still maps, with no expiry', async () => {
    const { sim, inside, gw, reach } = await setup({ upnp: 1, upnpPermanentOnly: true });
    const managerP = startPortMapping(inside.runtime, {
      tcpPort: PORT, gateway: { gateway: gw.lanAddress, localAddress: inside.address }, http: simUpnpRequester(inside),
    });
    await sim.runFor(2000);
    const [tcp] = (await managerP).status().upnp;
    assert.deepEqual(brief(tcp), ['tcp', 'mapped', 'upnp', PORT]);
    assert.equal(tcp.expiresAt, undefined);
    assert.ok(gw.igd!.stats.soapFaults >= 1, 'the first AddPortMapping was refused');
    await sim.runFor(8 * 24 * 3600 * 1000);
    assert.equal((await reach(PORT)).tcp, true, 'a permanent mapping outlives any lease');
  });

  it('a router without UPnP answers no SSDP search: the mapper gives up quietly, nothing is forwarded', async () => {
    const { sim, inside, gw } = await setup({ upnp: false });
    const managerP = startPortMapping(inside.runtime, {
      tcpPort: PORT, udpPort: PORT, gateway: { gateway: gw.lanAddress, localAddress: inside.address }, http: simUpnpRequester(inside),
      upnpOptions: { retryAfterMs: 3_600_000 },
    });
    await sim.runFor(10_000);
    assert.deepEqual((await managerP).status().upnp.map((m) => m.status), ['unavailable', 'unavailable']);
    assert.equal(gw.forwardCount('tcp') + gw.forwardCount('udp'), 0);
  });

  it('answers searches for what it is (v1 not for IGD:2), refuses mappings for another client (606) and unknown actions (401)', async () => {
    const { sim, inside, stranger, gw } = await setup({ upnp: 1 });
    const igd = gw.igd as IgdResponder;
    const text = (b: Uint8Array | undefined): string => (b === undefined ? '' : Buffer.from(b).toString('latin1'));
    assert.match(text(igd.answerSearch(encodeMSearch(IGD_DEVICE_V1))), new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*LOCATION: http://${gw.lanAddress}:5000/rootDesc\\.xml\\r\\n`));
    assert.match(text(igd.answerSearch(encodeMSearch('ssdp:all'))), /^HTTP\/1\.1 200 OK/);
    assert.equal(igd.answerSearch(encodeMSearch(IGD_DEVICE_V2)), undefined);
    assert.equal(igd.answerSearch(Buffer.from('NOTIFY * HTTP/1.1\r\nNT: x\r\n\r\n')), undefined);
    assert.equal(igd.answerSearch(new Uint8Array(9000)), undefined, 'oversized');
    const ctl = `http://${gw.lanAddress}:5000${IGD_CONTROL_PATH}`;
    const service = 'urn:schemas-upnp-org:service:WANIPConnection:1';
    const add = (client: string) => encodeSoap(service, 'AddPortMapping', [
      ['NewRemoteHost', ''], ['NewExternalPort', 8000], ['NewProtocol', 'TCP'], ['NewInternalPort', 8000],
      ['NewInternalClient', client], ['NewEnabled', 1], ['NewPortMappingDescription', 'x'], ['NewLeaseDuration', 60],
    ]);
    const post = (soap: { headers: Record<string, string>; body: string }) => {
      const p = simUpnpRequester(inside)({ url: ctl, method: 'POST', headers: soap.headers, body: soap.body, maxBytes: 16384 });
      return sim.runFor(10).then(() => p);
    };
    const foreign = await post(add(stranger.address));
    assert.equal(foreign.status, 500);
    assert.match(foreign.body, /<errorCode>606<\/errorCode>/);
    assert.equal(gw.forwardCount('tcp'), 0);
    assert.match((await post(encodeSoap(service, 'AddAnyPortMapping', []))).body, /<errorCode>401<\/errorCode>/, 'v1 has no AddAnyPortMapping');
    assert.match((await post(encodeSoap(service, 'DeletePortMapping', [['NewRemoteHost', ''], ['NewExternalPort', 8000], ['NewProtocol', 'TCP']]))).body, /<errorCode>714<\/errorCode>/);
    assert.equal((await post({ headers: add(inside.address).headers, body: add(inside.address).body + ' '.repeat(MAX_IGD_REQUEST_BYTES) })).status, 413, 'an oversized request is not read');
    assert.equal(gw.forwardCount('tcp'), 0);
    assert.equal((await post(add(inside.address))).status, 200);
    assert.equal(gw.forwardCount('tcp'), 1);
    // A host that is not behind this router does not reach its web server.
    const outside = simUpnpRequester(stranger)({ url: ctl, method: 'POST', body: '', maxBytes: 100 }).then(() => 'answered', (e: { code?: string }) => e.code);
    await sim.runFor(6000);
    assert.equal(await outside, 'ETIMEDOUT');
  });
});
