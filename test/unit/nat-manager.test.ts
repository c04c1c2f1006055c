import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bestMapping, startPortMapping, type HttpRequest } from '../../src/nat/index.js';
import type { HttpRequest as SeamHttpRequest, HttpResponse, Runtime } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';
import { mappable } from '../../src/cli/port-mapping.js';

function fakeRuntime() {
  const clock = new FakeClock();
  const sockets: FakeUdpEndpoint[] = [];
  const rt = {
    clock,
    random: new SeededRandom(3),
    udp: { bind: async () => { const s = new FakeUdpEndpoint({ host: '0.0.0.0', port: 40000 + sockets.length }, clock); sockets.push(s); return s; } },
    stream: { listen: async () => { throw new Error('unused'); }, connect: async () => { throw new Error('unused'); } },
  } as unknown as Runtime; // only clock, random and udp are used by startPortMapping
  return { rt, clock, sockets };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('NatManager', () => {
  it('ranks mapped over pending over failed over unavailable', () => {
    const s = (status: 'mapped' | 'pending' | 'failed' | 'unavailable') => ({ protocol: 'tcp' as const, internalPort: 1, status });
    assert.equal(bestMapping(s('unavailable'), s('mapped'))?.status, 'mapped');
    assert.equal(bestMapping(s('pending'), s('failed'))?.status, 'pending');
    assert.equal(bestMapping(undefined, s('failed'))?.status, 'failed');
  });

  it('shows the UPnP mapping when the gateway ignores PCP/NAT-PMP, and closes its sockets on stop', async () => {
    const { rt, clock, sockets } = fakeRuntime();
    const http = async (req: HttpRequest) => {
      if (req.method === 'GET') {
        return { status: 200, body: '<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl</controlURL></service></root>' };
      }
      const action = /#(\w+)"/.exec(req.headers?.soapaction ?? '')?.[1];
      const out = action === 'GetExternalIPAddress' ? '<NewExternalIPAddress>172.16.1.1</NewExternalIPAddress>' : '';
      return { status: 200, body: `<s:Envelope><s:Body><u:${action}Response>${out}</u:${action}Response></s:Body></s:Envelope>` };
    };
    const nat = await startPortMapping(rt, { tcpPort: 6881, udpPort: 6881, gateway: { gateway: '10.2.0.1', localAddress: '10.2.0.5' }, http });
    assert.equal(sockets.length, 2);
    // The SSDP socket gets the IGD's answer; the PCP socket gets nothing.
    sockets[1].deliver(new TextEncoder().encode('HTTP/1.1 200 OK\r\nLOCATION: http://10.2.0.1:5000/d.xml\r\n\r\n'), { host: '10.2.0.1', port: 1900 });
    await flush();
    clock.advance(200_000);
    const st = nat.status();
    assert.deepEqual(st.mappings.map((m) => [m.protocol, m.status, m.via]), [['tcp', 'mapped', 'upnp'], ['udp', 'mapped', 'upnp']]);
    assert.deepEqual(st.gateway.map((m) => m.status), ['unavailable', 'unavailable']);
    assert.equal(st.externalAddress, '172.16.1.1');
    await nat.stop();
    assert.ok(sockets.every((s) => s.closed));
  });

  it('stop() gives up waiting for deletes at stopDeadlineMs when the router went silent', async () => {
    const { rt, clock, sockets } = fakeRuntime();
    let silent = false;
    const http = async (req: HttpRequest) => {
      if (silent) return new Promise<never>(() => undefined); // a hung router
      if (req.method === 'GET') {
        return { status: 200, body: '<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl</controlURL></service></root>' };
      }
      const action = /#(\w+)"/.exec(req.headers?.soapaction ?? '')?.[1];
      return { status: 200, body: `<s:Envelope><s:Body><u:${action}Response></u:${action}Response></s:Body></s:Envelope>` };
    };
    const nat = await startPortMapping(rt, { tcpPort: 6881, gateway: { gateway: '10.2.0.1', localAddress: '10.2.0.5' }, http, stopDeadlineMs: 5000, upnpOptions: { lifetimeSeconds: 600 } });
    sockets[1].deliver(new TextEncoder().encode('HTTP/1.1 200 OK\r\nLOCATION: http://10.2.0.1:5000/d.xml\r\n\r\n'), { host: '10.2.0.1', port: 1900 });
    await flush();
    assert.equal(nat.status().mappings[0].status, 'mapped');
    silent = true;
    let done = false;
    const stopping = nat.stop().then(() => { done = true; });
    await flush();
    clock.advance(4999);
    await flush();
    assert.equal(done, false);
    clock.advance(1);
    await stopping;
    assert.ok(sockets.every((s) => s.closed));
  });

  it("sends UPnP's HTTP through the runtime's client when none is given (POST bodies, no redirects, size cap)", async () => {
    const { rt, clock, sockets } = fakeRuntime();
    const seen: SeamHttpRequest[] = [];
    const get = async (req: SeamHttpRequest): Promise<HttpResponse> => {
      seen.push(req);
      if ((req.method ?? 'GET') === 'GET') {
        return { status: 200, body: new TextEncoder().encode('<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl</controlURL></service></root>') };
      }
      const action = /#(\w+)"/.exec(req.headers?.soapaction ?? req.headers?.SOAPAction ?? '')?.[1];
      const out = action === 'GetExternalIPAddress' ? '<NewExternalIPAddress>172.16.1.1</NewExternalIPAddress>' : '';
      return { status: 200, body: new TextEncoder().encode(`<s:Envelope><s:Body><u:${action}Response>${out}</u:${action}Response></s:Body></s:Envelope>`) };
    };
    const nat = await startPortMapping({ ...rt, http: { get } }, { tcpPort: 6881, gateway: { gateway: '10.2.0.1', localAddress: '10.2.0.5' } });
    sockets[1].deliver(new TextEncoder().encode('HTTP/1.1 200 OK\r\nLOCATION: http://10.2.0.1:5000/d.xml\r\n\r\n'), { host: '10.2.0.1', port: 1900 });
    await flush();
    clock.advance(200_000);
    await flush();
    assert.deepEqual(nat.status().mappings.map((m) => [m.protocol, m.status, m.via]), [['tcp', 'mapped', 'upnp']]);
    assert.equal(seen[0].url, 'http://10.2.0.1:5000/d.xml');
    assert.ok(seen.some((r) => r.method === 'POST' && r.body && new TextDecoder().decode(r.body).includes('<u:AddPortMapping')), 'the SOAP action went as a POST body');
    assert.ok(seen.every((r) => r.maxRedirects === 0 && r.maxBodyBytes > 0 && r.signal !== undefined));
    await nat.stop();
  });

  it('starts no UPnP in a runtime without an HTTP client (PCP/NAT-PMP still)', async () => {
    const { rt, sockets } = fakeRuntime();
    const nat = await startPortMapping(rt, { tcpPort: 6881, gateway: { gateway: '10.2.0.1', localAddress: '10.2.0.5' } });
    assert.equal(sockets.length, 1, 'the PCP/NAT-PMP socket only');
    await nat.stop();
  });

  it('starts nothing, quietly, without a default gateway', async () => {
    const { rt, sockets } = fakeRuntime();
    const nat = await startPortMapping(rt, { tcpPort: 6881, udpPort: 6881 });
    assert.equal(sockets.length, 0);
    assert.deepEqual(nat.status().mappings, []);
    await nat.stop();
  });
});

describe('which listeners shoal get/seed map', () => {
  const gw = { gateway: '10.2.0.1', interface: 'eth0', localAddress: '10.2.0.5' };
  it('maps a wildcard listener or one on the default route interface, never loopback or another interface', () => {
    assert.equal(mappable('0.0.0.0', gw), true);
    assert.equal(mappable('::', gw), true);
    assert.equal(mappable('10.2.0.5', gw), true);
    assert.equal(mappable('127.0.0.2', gw), false);
    assert.equal(mappable('10.200.3.1', gw), false);
    assert.equal(mappable('0.0.0.0', undefined), false);
  });
});
