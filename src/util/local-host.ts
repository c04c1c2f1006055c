/**
 * Whether a URL's host is this machine or the local network, for SSRF checks on redirects
 * (tracker announces, the daemon's .torrent fetch, web seeds).
 */

/**
 * A host name (as `URL.hostname` writes it) that is this machine or the local network:
 * `localhost`, and IP literals that are loopback, private (RFC 1918, IPv6 ULA), link-local or
 * unspecified. Other names are not resolved here (a sans-I/O core): only literals count.
 */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h.replace(/^::ffff:/, ''));
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h); // the URL parser writes ::ffff:a.b.c.d in hex
  if (v4 || mapped) {
    const high = mapped ? parseInt(mapped[1], 16) : 0;
    const [a, b] = v4 ? [Number(v4[1]), Number(v4[2])] : [high >> 8, high & 0xff];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (!h.includes(':')) return false;
  if (h === '::' || h === '::1') return true;
  return /^f[cd][0-9a-f]{0,2}:/.test(h) || /^fe[89ab][0-9a-f]?:/.test(h);
}
