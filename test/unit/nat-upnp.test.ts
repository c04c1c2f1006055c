/**
 * UPnP IGD: the SSDP / description / SOAP codec, and UpnpMapper on a hand-driven clock
 * against a fake IGD (its HTTP side is a function).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  NatProtocolError, UpnpMapper, encodeMSearch, encodeSoap, parseDeviceDescription, parseSoapResponse, parseSsdpAnswer,
  type HttpRequest, type PortMapperEvent, type UpnpMapperOptions,
} from '../../src/nat/index.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const LOCATION = 'http://10.1.0.1:5000/rootDesc.xml';

function description(services: readonly [string, string][], urlBase = ''): string {
  return `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0">${urlBase ? `<URLBase>${urlBase}</URLBase>` : ''}<device><deviceList><device><serviceList>`
    + services.map(([t, c]) => `<service><serviceType>${t}</serviceType><serviceId>x</serviceId><controlURL>${c}</controlURL></service>`).join('')
    + '</serviceList></device></deviceList></device></root>';
}

function soapOk(action: string, values: Record<string, string | number> = {}): string {
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:${action}Response xmlns:u="x">`
    + Object.entries(values).map(([k, v]) => `<${k}>${v}</${k}>`).join('') + `</u:${action}Response></s:Body></s:Envelope>`;
}

function soapFault(code: number, text: string): string {
  return '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode>'
    + `<faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode>`
    + `<errorDescription>${text}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`;
}

describe('UPnP codec', () => {
  it('writes an M-SEARCH for the IGD', () => {
    const text = new TextDecoder().decode(encodeMSearch('urn:schemas-upnp-org:device:InternetGatewayDevice:1'));
    assert.match(text, /^M-SEARCH \* HTTP\/1\.1\r\nHOST: 239\.255\.255\.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n$/);
  });

  it('reads LOCATION from an SSDP answer, and refuses non-200, non-http and oversized ones', () => {
    const ok = parseSsdpAnswer(enc(`HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: x\r\nLocation: ${LOCATION}\r\n\r\n`));
    assert.equal(ok.location, LOCATION);
    assert.throws(() => parseSsdpAnswer(enc(`NOTIFY * HTTP/1.1\r\nLOCATION: ${LOCATION}\r\n\r\n`)), NatProtocolError);
    assert.throws(() => parseSsdpAnswer(enc('HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n')), NatProtocolError);
    assert.throws(() => parseSsdpAnswer(enc('HTTP/1.1 200 OK\r\nST: x\r\n\r\n')), NatProtocolError);
    assert.throws(() => parseSsdpAnswer(new Uint8Array(4096)), NatProtocolError);
  });

  it('picks WANIPConnection:2 over :1 and resolves the control URL against URLBase', () => {
    const xml = description([
      ['urn:schemas-upnp-org:service:WANIPConnection:1', '/ctl/IPConn1'],
      ['urn:schemas-upnp-org:service:Layer3Forwarding:1', '/ctl/L3F'],
      ['urn:schemas-upnp-org:service:WANIPConnection:2', '/ctl/IPConn2'],
    ], 'http://10.1.0.1:5000/');
    assert.deepEqual(parseDeviceDescription(xml, LOCATION), { serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2', controlUrl: 'http://10.1.0.1:5000/ctl/IPConn2' });
  });

  it('ignores a control URL on another host, and refuses a description without a WAN service', () => {
    const xml = description([['urn:schemas-upnp-org:service:WANIPConnection:1', 'http://10.1.0.99:80/steal']]);
    assert.throws(() => parseDeviceDescription(xml, LOCATION), NatProtocolError);
    assert.throws(() => parseDeviceDescription('<root/>', LOCATION), NatProtocolError);
  });

  it('writes a SOAP call with escaped arguments and reads answers and UPnP errors', () => {
    const r = encodeSoap('urn:schemas-upnp-org:service:WANIPConnection:1', 'AddPortMapping', [['NewPortMappingDescription', 'a<b&c'], ['NewExternalPort', 6881]]);
    assert.equal(r.headers.soapaction, '"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"');
    assert.match(r.body, /<u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"><NewPortMappingDescription>a&lt;b&amp;c<\/NewPortMappingDescription><NewExternalPort>6881<\/NewExternalPort><\/u:AddPortMapping>/);
    const ok = parseSoapResponse(soapOk('GetExternalIPAddress', { NewExternalIPAddress: '172.16.0.9' }));
    assert.ok(ok.ok);
    assert.equal(ok.get('NewExternalIPAddress'), '172.16.0.9');
    assert.deepEqual(parseSoapResponse(soapFault(725, 'OnlyPermanentLeasesSupported')), { ok: false, errorCode: 725, description: 'OnlyPermanentLeasesSupported' });
    assert.throws(() => parseSoapResponse('garbage'), NatProtocolError);
  });
});

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

interface Call { readonly action: string; readonly args: Record<string, string> }

/** A fake IGD: its description, and each SOAP call answered by `answer`. */
function fakeIgd(serviceType: string, answer: (c: Call) => string) {
  const calls: Call[] = [];
  const http = async (req: HttpRequest) => {
    if (req.method === 'GET') return { status: 200, body: description([[serviceType, '/ctl/IPConn']]) };
    const action = /#(\w+)"/.exec(req.headers?.soapaction ?? '')?.[1] ?? '';
    const args: Record<string, string> = {};
    for (const m of (req.body ?? '').matchAll(/<(New\w+)>([^<]*)<\/New\w+>/g)) args[m[1]] = m[2];
    const c = { action, args };
    calls.push(c);
    return { status: 200, body: answer(c) };
  };
  return { calls, http };
}

function setup(http: UpnpMapperOptions['http'], extra: Partial<UpnpMapperOptions> = {}) {
  const clock = new FakeClock();
  const socket = new FakeUdpEndpoint({ host: '0.0.0.0', port: 40001 }, clock);
  const events: PortMapperEvent[] = [];
  const mapper = new UpnpMapper({
    clock, socket, http, internalClient: '10.1.0.20', lifetimeSeconds: 600,
    mappings: [{ protocol: 'tcp', internalPort: 6881 }, { protocol: 'udp', internalPort: 6881 }],
    onEvent: (e) => events.push(e), ...extra,
  });
  const answerSearch = () => socket.deliver(enc(`HTTP/1.1 200 OK\r\nST: x\r\nLOCATION: ${LOCATION}\r\n\r\n`), { host: '10.1.0.1', port: 1900 });
  return { clock, socket, mapper, events, answerSearch };
}

describe('UpnpMapper', () => {
  it('searches at 0, 1 and 3 s (IGD:1 and IGD:2 each time), then turns unavailable at 7 s and searches again later', () => {
    const { clock, socket, mapper, events } = setup(fakeIgd('x', () => '').http, { retryAfterMs: 60_000 });
    mapper.start();
    clock.advance(6999);
    assert.deepEqual(socket.sent.map((d) => d.at), [0, 0, 1000, 1000, 3000, 3000]);
    assert.ok(socket.sent.every((d) => d.to.host === '239.255.255.250' && d.to.port === 1900));
    clock.advance(1);
    assert.ok(mapper.mappings().every((m) => m.status === 'unavailable'));
    assert.equal(events.filter((e) => e.type === 'unavailable').length, 1);
    clock.advance(60_000);
    assert.equal(socket.sent.length, 8);
  });

  it('maps with AddAnyPortMapping on IGD v2, takes the reserved port, renews at half the lease and deletes on stop', async () => {
    const igd = fakeIgd('urn:schemas-upnp-org:service:WANIPConnection:2', (c) => {
      if (c.action === 'GetExternalIPAddress') return soapOk(c.action, { NewExternalIPAddress: '172.16.5.5' });
      if (c.action === 'AddAnyPortMapping') return soapOk(c.action, { NewReservedPort: 50_000 + (c.args.NewProtocol === 'TCP' ? 1 : 2) });
      return soapOk(c.action);
    });
    const { clock, mapper, answerSearch } = setup(igd.http);
    mapper.start();
    answerSearch();
    await flush();
    assert.deepEqual(mapper.mappings().map((m) => [m.status, m.via, m.externalAddress, m.externalPort, m.expiresAt]), [
      ['mapped', 'upnp', '172.16.5.5', 50_001, 600_000], ['mapped', 'upnp', '172.16.5.5', 50_002, 600_000],
    ]);
    const add = igd.calls.find((c) => c.action === 'AddAnyPortMapping');
    assert.deepEqual(add?.args, {
      NewRemoteHost: '', NewExternalPort: '6881', NewProtocol: 'TCP', NewInternalPort: '6881', NewInternalClient: '10.1.0.20',
      NewEnabled: '1', NewPortMappingDescription: 'Shoal', NewLeaseDuration: '600',
    });
    clock.advance(300_000);
    await flush();
    const renewals = igd.calls.filter((c) => c.action === 'AddPortMapping');
    assert.deepEqual(renewals.map((c) => c.args.NewExternalPort), ['50001', '50002'], 'renewal keeps the reserved port');
    await mapper.stop();
    assert.deepEqual(igd.calls.filter((c) => c.action === 'DeletePortMapping').map((c) => [c.args.NewExternalPort, c.args.NewProtocol]), [['50001', 'TCP'], ['50002', 'UDP']]);
    assert.ok(mapper.mappings().every((m) => m.status === 'removed'));
    assert.equal(clock.pending(), 0);
  });

  it('falls back to a permanent lease on IGD v1 error 725, and does not renew it', async () => {
    const igd = fakeIgd('urn:schemas-upnp-org:service:WANIPConnection:1', (c) => {
      if (c.action === 'AddPortMapping' && c.args.NewLeaseDuration !== '0') return soapFault(725, 'OnlyPermanentLeasesSupported');
      return soapOk(c.action, c.action === 'GetExternalIPAddress' ? { NewExternalIPAddress: '172.16.5.5' } : {});
    });
    const { clock, mapper, answerSearch } = setup(igd.http, { mappings: [{ protocol: 'tcp', internalPort: 6881 }] });
    mapper.start();
    answerSearch();
    await flush();
    assert.deepEqual(igd.calls.filter((c) => c.action === 'AddPortMapping').map((c) => c.args.NewLeaseDuration), ['600', '0']);
    assert.equal(mapper.mappings()[0].status, 'mapped');
    assert.equal(mapper.mappings()[0].expiresAt, undefined);
    clock.advance(10_000_000);
    await flush();
    assert.equal(igd.calls.filter((c) => c.action === 'AddPortMapping').length, 2);
  });

  it('reports a refusal as failed with the UPnP error', async () => {
    const igd = fakeIgd('urn:schemas-upnp-org:service:WANIPConnection:1', (c) => (c.action === 'AddPortMapping' ? soapFault(718, 'ConflictInMappingEntry') : soapOk(c.action)));
    const { mapper, answerSearch } = setup(igd.http, { mappings: [{ protocol: 'udp', internalPort: 6881 }] });
    mapper.start();
    answerSearch();
    await flush();
    assert.equal(mapper.mappings()[0].status, 'failed');
    assert.match(mapper.mappings()[0].reason ?? '', /718 ConflictInMappingEntry/);
  });

  it('turns unavailable when the description cannot be read', async () => {
    const { mapper, answerSearch, events } = setup(async () => ({ status: 404, body: '' }));
    mapper.start();
    answerSearch();
    await flush();
    assert.ok(mapper.mappings().every((m) => m.status === 'unavailable' && /HTTP 404/.test(m.reason ?? '')));
    assert.equal(events.filter((e) => e.type === 'unavailable').length, 1);
    await mapper.stop();
  });
});
