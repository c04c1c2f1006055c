/**
 * The gateway's side of UPnP IGD (UPnP Device Architecture 1.1; InternetGatewayDevice v1
 * and v2, WANIPConnection:1 / :2) for the simulator's NAT gateways, as miniupnpd answers:
 * - SSDP: an M-SEARCH to 239.255.255.250:1900 from the LAN gets a unicast 200 with the
 *   LOCATION of the device description (a v2 device answers searches for :1 too, UDA 1.1
 *   §1.3.2; a v1 device only for :1).
 * - HTTP: GET of the description; POST of SOAP actions to the control URL:
 *   GetExternalIPAddress, AddPortMapping, AddAnyPortMapping (v2 only: the router may pick
 *   another port, `NewReservedPort`), DeletePortMapping. Errors are UPnPError faults with
 *   the WANIPConnection codes (401 Invalid Action, 402 Invalid Args, 606 Action not
 *   authorized, 714 NoSuchEntryInArray, 718 ConflictInMappingEntry, 725
 *   OnlyPermanentLeasesSupported, 728 NoPortMapsAvailable).
 * Like miniupnpd's secure mode, a mapping may only point at the host that asks for it.
 * Bytes in, bytes out: the NAT gateway (nat-gateway.ts) routes SSDP to it, and the HTTP
 * leg reaches it through `simUpnpRequester` (upnp-http.ts). Requests are bounded
 * (`MAX_IGD_REQUEST_BYTES`); anything malformed gets a fault or no answer, never a throw.
 */
import type { PmpProtocol } from './nat-pmp-server.js';

/** What the responder asks of its NAT. */
export interface IgdNat {
  readonly publicAddress: string;
  readonly lanAddress: string;
  /** The one host behind the gateway (miniupnpd's secure mode maps only to the caller). */
  readonly insideAddress: string;
  /**
   * Makes or renews a forward: at exactly `externalPort` (`exact`) or there if free, else
   * another; the external port, or -1 (taken by another mapping, or none free).
   */
  forward(protocol: PmpProtocol, internalPort: number, externalPort: number, lifetimeS: number, exact: boolean): number;
  /** Deletes the forward at `externalPort`; false when there is none. */
  unforward(protocol: PmpProtocol, externalPort: number): boolean;
}

export type IgdVersion = 1 | 2;

export const IGD_HTTP_PORT = 5000;
export const IGD_DESCRIPTION_PATH = '/rootDesc.xml';
export const IGD_CONTROL_PATH = '/ctl/IPConn';
/** Longest SSDP datagram or HTTP request body the responder reads (miniupnpd reads 1.5 KiB SSDP, a few KiB SOAP). */
export const MAX_IGD_REQUEST_BYTES = 8 * 1024;
/** Longest lease granted, s: IGD v2 caps leases at one week (WANIPConnection:2 §2.3.17). */
export const IGD_MAX_LEASE_S = 604_800;

const SSDP_ALL = 'ssdp:all';
const ROOT_DEVICE = 'upnp:rootdevice';
const device = (v: number): string => `urn:schemas-upnp-org:device:InternetGatewayDevice:${v}`;
const wanDevice = (v: number): string => `urn:schemas-upnp-org:device:WANDevice:${v}`;
const wanConnDevice = (v: number): string => `urn:schemas-upnp-org:device:WANConnectionDevice:${v}`;
const service = (v: number): string => `urn:schemas-upnp-org:service:WANIPConnection:${v}`;

export interface IgdHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The LAN address the request came from. */
  readonly from: string;
}

export interface IgdHttpAnswer {
  readonly status: number;
  readonly body: string;
}

export interface IgdStats {
  ssdpAnswered: number;
  soapCalls: number;
  soapFaults: number;
}

export class IgdResponder {
  readonly stats: IgdStats = { ssdpAnswered: 0, soapCalls: 0, soapFaults: 0 };

  /** `permanentOnly`: an old v1 router that refuses leases other than 0 (error 725). */
  constructor(private readonly nat: IgdNat, readonly version: IgdVersion, private readonly permanentOnly = false) {}

  get location(): string {
    return `http://${this.nat.lanAddress}:${IGD_HTTP_PORT}${IGD_DESCRIPTION_PATH}`;
  }

  /** An M-SEARCH's answer (undefined: not a search for us, or not a search). */
  answerSearch(data: Uint8Array): Uint8Array | undefined {
    if (data.byteLength > MAX_IGD_REQUEST_BYTES) return undefined;
    const lines = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1').split('\r\n');
    if (lines[0] !== 'M-SEARCH * HTTP/1.1') return undefined;
    const h = headerMap(lines.slice(1));
    if (h.get('man') !== '"ssdp:discover"') return undefined;
    const st = h.get('st') ?? '';
    if (!this.matches(st)) return undefined;
    this.stats.ssdpAnswered++;
    const uuid = `uuid:5eed0000-0000-4000-8000-${this.nat.lanAddress.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('').padStart(12, '0')}`;
    return Buffer.from(
      'HTTP/1.1 200 OK\r\n'
      + 'CACHE-CONTROL: max-age=120\r\n'
      + `ST: ${st}\r\n`
      + `USN: ${uuid}::${st}\r\n`
      + 'EXT:\r\n'
      + `SERVER: Shoal-sim UPnP/1.1 IGD/${this.version}\r\n`
      + `LOCATION: ${this.location}\r\n\r\n`,
      'latin1',
    );
  }

  private matches(st: string): boolean {
    if (st === SSDP_ALL || st === ROOT_DEVICE) return true;
    for (let v = 1; v <= this.version; v++) {
      if (st === device(v) || st === wanDevice(v) || st === wanConnDevice(v) || st === service(v)) return true;
    }
    return false;
  }

  /** One HTTP request to the gateway's web server. */
  http(req: IgdHttpRequest): IgdHttpAnswer {
    if (req.body.length > MAX_IGD_REQUEST_BYTES) return { status: 413, body: '' };
    if (req.method === 'GET' && req.path === IGD_DESCRIPTION_PATH) return { status: 200, body: this.description() };
    if (req.path !== IGD_CONTROL_PATH) return { status: 404, body: '' };
    if (req.method !== 'POST') return { status: 405, body: '' };
    this.stats.soapCalls++;
    const answer = this.soap(req);
    if (answer.status !== 200) this.stats.soapFaults++;
    return answer;
  }

  private description(): string {
    const v = this.version;
    return '<?xml version="1.0"?>\r\n<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>1</minor></specVersion>'
      + `<device><deviceType>${device(v)}</deviceType><friendlyName>simulated router</friendlyName><manufacturer>Shoal</manufacturer><modelName>sim</modelName>`
      + `<deviceList><device><deviceType>${wanDevice(v)}</deviceType><friendlyName>WANDevice</friendlyName>`
      + `<deviceList><device><deviceType>${wanConnDevice(v)}</deviceType><friendlyName>WANConnectionDevice</friendlyName>`
      + `<serviceList><service><serviceType>${service(v)}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>`
      + `<controlURL>${IGD_CONTROL_PATH}</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>`
      + '</device></deviceList></device></deviceList></device></root>\r\n';
  }

  private soap(req: IgdHttpRequest): IgdHttpAnswer {
    // SOAPAction: "urn:schemas-upnp-org:service:WANIPConnection:2#AddPortMapping"
    const m = /^"?([^"#]+)#(\w+)"?$/.exec(req.headers.soapaction ?? '');
    if (m === null) return fault(401, 'Invalid Action');
    const [, type, action] = m;
    if (!this.matches(type) || !type.startsWith('urn:schemas-upnp-org:service:WANIPConnection:')) return fault(401, 'Invalid Action');
    const arg = (name: string): string | undefined => element(req.body, name);
    switch (action) {
      case 'GetExternalIPAddress':
        return ok(type, action, [['NewExternalIPAddress', this.nat.publicAddress]]);
      case 'AddPortMapping':
      case 'AddAnyPortMapping': {
        if (action === 'AddAnyPortMapping' && this.version < 2) return fault(401, 'Invalid Action');
        const protocol = protocolArg(arg('NewProtocol'));
        const externalPort = portArg(arg('NewExternalPort'));
        const internalPort = portArg(arg('NewInternalPort'));
        const lease = Number(arg('NewLeaseDuration') ?? 'x');
        const client = arg('NewInternalClient');
        if (protocol === undefined || externalPort === undefined || internalPort === undefined || !Number.isInteger(lease) || lease < 0 || client === undefined) {
          return fault(402, 'Invalid Args');
        }
        if (client !== req.from || client !== this.nat.insideAddress) return fault(606, 'Action not authorized');
        if (this.permanentOnly && lease !== 0) return fault(725, 'OnlyPermanentLeasesSupported');
        // v2: lease 0 means the longest; a permanent mapping otherwise lasts until deleted.
        const seconds = lease === 0 ? (this.version === 2 ? IGD_MAX_LEASE_S : Infinity) : Math.min(lease, IGD_MAX_LEASE_S);
        const any = action === 'AddAnyPortMapping';
        const port = this.nat.forward(protocol, internalPort, externalPort, seconds, !any);
        if (port < 0) return any ? fault(728, 'NoPortMapsAvailable') : fault(718, 'ConflictInMappingEntry');
        return ok(type, action, any ? [['NewReservedPort', String(port)]] : []);
      }
      case 'DeletePortMapping': {
        const protocol = protocolArg(arg('NewProtocol'));
        const externalPort = portArg(arg('NewExternalPort'));
        if (protocol === undefined || externalPort === undefined) return fault(402, 'Invalid Args');
        return this.nat.unforward(protocol, externalPort) ? ok(type, action, []) : fault(714, 'NoSuchEntryInArray');
      }
      default:
        return fault(401, 'Invalid Action');
    }
  }
}

function headerMap(lines: readonly string[]): Map<string, string> {
  const h = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) h.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return h;
}

/** The text of the first `<name>` element (a namespace prefix allowed); bounded, no XML parser. */
function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]{0,256})?>([^<]{0,256})</(?:[\\w-]+:)?${name}\\s*>`).exec(xml);
  return m === null ? undefined : m[1].trim();
}

function protocolArg(v: string | undefined): PmpProtocol | undefined {
  return v === 'TCP' ? 'tcp' : v === 'UDP' ? 'udp' : undefined;
}

function portArg(v: string | undefined): number | undefined {
  const n = Number(v ?? 'x');
  return Number.isInteger(n) && n > 0 && n <= 0xffff ? n : undefined;
}

function ok(type: string, action: string, out: readonly (readonly [string, string])[]): IgdHttpAnswer {
  return {
    status: 200,
    body: '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
      + `<s:Body><u:${action}Response xmlns:u="${type}">${out.map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</u:${action}Response></s:Body></s:Envelope>\r\n`,
  };
}

function fault(code: number, text: string): IgdHttpAnswer {
  return {
    status: 500,
    body: '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
      + '<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>'
      + `<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode><errorDescription>${text}</errorDescription></UPnPError>`
      + '</detail></s:Fault></s:Body></s:Envelope>\r\n',
  };
}
