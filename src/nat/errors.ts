import { InputError } from '../errors.js';

/** A gateway's NAT-PMP / PCP datagram broke the format (RFC 6886, RFC 6887). Never trusted, never fatal. */
export class NatProtocolError extends InputError {}
