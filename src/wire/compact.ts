/**
 * Compact peer addresses (BEP 23 format, used by BEP 11 PEX and BEP 10 `yourip`):
 * IPv4 `<ip:4><port:2>`, IPv6 `<ip:16><port:2>`, all big-endian. The codec is the shared one
 * (`util/compact-address.ts`); this module names what the wire layer uses of it.
 */
export { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH, bytesToIp, ipToBytes, readCompactPeers, writeCompactPeer } from '../util/compact-address.js';
