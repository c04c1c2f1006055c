/**
 * Who may talk to the daemon: the token check (constant time) and the Host/Origin checks
 * that keep other web sites out (DNS rebinding, cross-site requests).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** Compares a presented token with the real one in time independent of where they differ. */
export class TokenCheck {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** Accepts `Bearer <token>` from the Authorization header. */
  allowsHeader(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return m !== null && this.allows(m[1]);
  }

  allows(presented: string): boolean {
    // Hashing both sides gives equal lengths, which timingSafeEqual needs, and hides the real length.
    return timingSafeEqual(this.digest, sha256(presented));
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = ['0.0.0.0', '[::]'];

/**
 * The daemon's own addresses: its bound host and the loopback names, all on its port. When it
 * is bound to every interface (0.0.0.0 or ::) any IP literal on its port is its own too; a DNS
 * rebinding attack always arrives with a host *name*, so IP literals are safe to accept.
 */
export class HostCheck {
  private readonly names: ReadonlySet<string>;
  private readonly anyIp: boolean;
  private readonly extra: ReadonlySet<string>;

  /**
   * `extraNames`: host names the user vouches for (`shoal daemon --api-host nas.local`): the
   * name a NAS is reached by, or the one a reverse proxy forwards with. They are accepted on
   * any port, and in an `https://` Origin too (a proxy terminating TLS), as Transmission's
   * `rpc-host-whitelist` and qBittorrent's server domains do.
   */
  constructor(
    boundHost: string,
    private readonly port: number,
    extraNames: readonly string[] = [],
  ) {
    const own = normalizeHostname(boundHost);
    this.names = new Set([...LOOPBACK_NAMES, ...(own === undefined ? [] : [own])]);
    this.anyIp = own !== undefined && WILDCARD_HOSTS.includes(own);
    this.extra = new Set(extraNames.map((n) => normalizeHostname(n)).filter((n): n is string => n !== undefined));
  }

  /** `Host` header: `name[:port]` or `[v6][:port]`; port 80 when left out, as HTTP says. */
  allowsHost(host: string | undefined): boolean {
    if (host === undefined || !/^[A-Za-z0-9.\-:[\]]{1,300}$/.test(host)) return false;
    return this.allowsUrl(`http://${host}`);
  }

  /** `Origin` header: must be exactly `http://<one of our hosts>`; `null` and other schemes are foreign. */
  allowsOrigin(origin: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.origin !== origin.toLowerCase()) return false;
    if (url.protocol === 'https:') return this.extra.has(url.hostname) && url.username === '' && url.password === '';
    return url.protocol === 'http:' && this.allowsUrl(origin);
  }

  private allowsUrl(text: string): boolean {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return false;
    }
    if (url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '')) return false;
    if (this.extra.has(url.hostname)) return true;
    const port = url.port === '' ? 80 : Number(url.port);
    if (port !== this.port) return false;
    if (this.names.has(url.hostname)) return true;
    return this.anyIp && isIP(url.hostname.replace(/^\[(.*)\]$/, '$1')) !== 0;
  }
}

/** The hostname as the WHATWG URL parser writes it (lower case, IPv6 in brackets), or undefined if unparsable. */
function normalizeHostname(host: string): string | undefined {
  const literal = isIP(host) === 6 ? `[${host}]` : host;
  try {
    return new URL(`http://${literal}`).hostname;
  } catch {
    return undefined;
  }
}
