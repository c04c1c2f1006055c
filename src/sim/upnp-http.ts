/**
 * The HTTP leg of UPnP IGD on the simulator: an `HttpRequester` (src/nat/upnp-http.ts, the
 * seam Shoal's UpnpMapper is given) for a host behind a NAT gateway. A request to the
 * gateway's own web server (its LAN address, `IGD_HTTP_PORT`) is answered by the gateway's
 * IGD responder one LAN round trip later; anything else fails as the runtime's HTTP client
 * would when nothing answers (ECONNREFUSED after a round trip to the router, or ETIMEDOUT for other hosts:
 * the simulated routers serve no other web pages). Answers over `maxBytes` are refused with
 * a NatProtocolError, as the real requester does.
 */
import { NatProtocolError } from '../nat/errors.js';
import { UPNP_HTTP_TIMEOUT_MS, type HttpRequester } from '../nat/upnp-http.js';
import { NetworkError } from '../runtime/types.js';
import type { SimHost } from './host.js';
import { NatRouter } from './nat-gateway.js';
import { IGD_HTTP_PORT } from './upnp-igd.js';

/** The real requester's per-request limit, ms (createHttpRequester's default). */
const TIMEOUT_MS = UPNP_HTTP_TIMEOUT_MS;

export function simUpnpRequester(host: SimHost): HttpRequester {
  const clock = host.runtime.clock;
  const later = <T>(ms: number, f: () => T): Promise<T> => new Promise((resolve, reject) => {
    clock.setTimer(ms, () => {
      try {
        resolve(f());
      } catch (e) {
        reject(e as Error);
      }
    });
  });
  return (req) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.reject(new NetworkError('EINVAL', `${req.url}: not a URL`));
    }
    const router = host.network.translator;
    const gw = router instanceof NatRouter ? router.gatewayOf(host) : undefined;
    if (gw === undefined || url.hostname !== gw.lanAddress) {
      return later(TIMEOUT_MS, () => {
        throw new NetworkError('ETIMEDOUT', `${url.host}: no answer`);
      });
    }
    const rtt = gw.lanRoundTripMs;
    const igd = gw.igd;
    if (igd === undefined || Number(url.port || 80) !== IGD_HTTP_PORT) {
      return later(rtt, () => {
        throw new NetworkError('ECONNREFUSED', `${url.host}: connection refused`);
      });
    }
    return later(rtt, () => {
      const a = igd.http({ method: req.method, path: url.pathname, headers: lowerKeys(req.headers ?? {}), body: req.body ?? '', from: host.address });
      if (Buffer.byteLength(a.body) > req.maxBytes) throw new NatProtocolError(`UPnP answer from ${url.host} is larger than ${req.maxBytes} bytes`);
      return { status: a.status, body: a.body };
    });
  };
}

function lowerKeys(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
