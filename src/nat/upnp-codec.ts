/**
 * UPnP IGD pieces (UPnP Device Architecture 1.1; IGD v1 and v2): the SSDP M-SEARCH and its
 * answer, the device description (which WAN connection service, at which control URL), and
 * SOAP calls and answers. Input is bounded (`MAX_SSDP_BYTES`, `MAX_DESCRIPTION_BYTES`,
 * `MAX_SOAP_BYTES`) and read with plain scans, no XML parser; malformed input throws
 * `NatProtocolError`.
 */
import { NatProtocolError } from './errors.js';

export const SSDP_MULTICAST = { host: '239.255.255.250', port: 1900 } as const;
export const MAX_SSDP_BYTES = 2048;
export const MAX_DESCRIPTION_BYTES = 64 * 1024;
export const MAX_SOAP_BYTES = 16 * 1024;

export const IGD_DEVICE_V1 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';
export const IGD_DEVICE_V2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2';
/** WAN connection services, best first: v2 has AddAnyPortMapping. */
export const WAN_SERVICES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const;

/** UPnP error codes met when mapping (WANIPConnection:2 spec, §2.4.16). */
export const UPNP_ERROR = {
  conflictInMappingEntry: 718,
  onlyPermanentLeasesSupported: 725,
} as const;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

/** An M-SEARCH for `st`, answers spread over `mx` seconds. */
export function encodeMSearch(st: string, mx = 2): Uint8Array {
  return enc.encode(
    'M-SEARCH * HTTP/1.1\r\n'
    + `HOST: ${SSDP_MULTICAST.host}:${SSDP_MULTICAST.port}\r\n`
    + 'MAN: "ssdp:discover"\r\n'
    + `MX: ${mx}\r\n`
    + `ST: ${st}\r\n\r\n`,
  );
}

export interface SsdpAnswer {
  readonly location: string;
  readonly st: string;
  readonly server?: string;
}

/** An HTTP/1.1 200 answer to M-SEARCH with a LOCATION (an http: URL). */
export function parseSsdpAnswer(b: Uint8Array): SsdpAnswer {
  if (b.length > MAX_SSDP_BYTES) throw new NatProtocolError(`SSDP answer of ${b.length} bytes exceeds ${MAX_SSDP_BYTES}`);
  const lines = dec.decode(b).split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200\b/.test(lines[0] ?? '')) throw new NatProtocolError('SSDP message is not an HTTP 200 answer');
  const h = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) h.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const location = h.get('location');
  if (!location) throw new NatProtocolError('SSDP answer has no LOCATION');
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new NatProtocolError(`SSDP LOCATION ${JSON.stringify(location.slice(0, 100))} is not a URL`);
  }
  if (url.protocol !== 'http:') throw new NatProtocolError(`SSDP LOCATION ${url.protocol} is not http:`);
  return { location: url.href, st: h.get('st') ?? '', server: h.get('server') };
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** The text of the first `<name>` element (namespace prefixes allowed) inside `xml`. */
function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]{0,256})?>([^<]{0,2048})</(?:[\\w-]+:)?${name}\\s*>`).exec(xml);
  return m ? unescapeXml(m[1].trim()) : undefined;
}

export interface WanService {
  readonly serviceType: string;
  readonly controlUrl: string;
}

/**
 * The best WAN connection service in a device description fetched from `location`. The
 * control URL must stay on the description's host and port: a LAN device cannot send our
 * SOAP calls elsewhere.
 */
export function parseDeviceDescription(xml: string, location: string): WanService {
  if (xml.length > MAX_DESCRIPTION_BYTES) throw new NatProtocolError(`device description exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
  const base = element(xml, 'URLBase') || location;
  const found: WanService[] = [];
  // Linear on hostile input: split at each closing tag, take what follows the last opening.
  const parts = xml.split(/<\/(?:[\w-]+:)?service\s*>/);
  for (const part of parts.slice(0, -1)) {
    let open = -1;
    const opening = /<(?:[\w-]+:)?service[\s>]/g;
    for (let m = opening.exec(part); m; m = opening.exec(part)) open = m.index;
    if (open < 0) continue;
    const body = part.slice(open);
    const type = element(body, 'serviceType');
    const control = element(body, 'controlURL');
    if (!type || !control || !(WAN_SERVICES as readonly string[]).includes(type)) continue;
    let url: URL;
    try {
      url = new URL(control, base);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' || url.host !== new URL(location).host) continue;
    found.push({ serviceType: type, controlUrl: url.href });
  }
  found.sort((a, b) => WAN_SERVICES.indexOf(a.serviceType as (typeof WAN_SERVICES)[number]) - WAN_SERVICES.indexOf(b.serviceType as (typeof WAN_SERVICES)[number]));
  if (!found[0]) throw new NatProtocolError('the device description has no WANIPConnection or WANPPPConnection service');
  return found[0];
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface SoapRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A SOAP 1.1 call of `action` on `serviceType` with ordered arguments. */
export function encodeSoap(serviceType: string, action: string, args: readonly (readonly [string, string | number])[]): SoapRequest {
  const inner = args.map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join('');
  return {
    headers: { 'content-type': 'text/xml; charset="utf-8"', soapaction: `"${serviceType}#${action}"` },
    body: '<?xml version="1.0"?>\r\n'
      + '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
      + `<s:Body><u:${action} xmlns:u="${serviceType}">${inner}</u:${action}></s:Body></s:Envelope>`,
  };
}

export type SoapResult =
  | { readonly ok: true; readonly get: (name: string) => string | undefined }
  | { readonly ok: false; readonly errorCode: number; readonly description: string };

/** A SOAP answer: the out-arguments, or the UPnPError's code and description. */
export function parseSoapResponse(xml: string): SoapResult {
  if (xml.length > MAX_SOAP_BYTES) throw new NatProtocolError(`SOAP answer exceeds ${MAX_SOAP_BYTES} bytes`);
  if (/<(?:[\w-]+:)?Fault[\s>]/.test(xml)) {
    const code = Number(element(xml, 'errorCode'));
    return { ok: false, errorCode: Number.isInteger(code) ? code : 0, description: (element(xml, 'errorDescription') ?? 'SOAP fault').slice(0, 200) };
  }
  if (!/<(?:[\w-]+:)?Body[\s>]/.test(xml)) throw new NatProtocolError('SOAP answer has no Body');
  return { ok: true, get: (name) => element(xml, name) };
}
