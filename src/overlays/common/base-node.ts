/**
 * What every overlay core shares: one UDP endpoint, a 3-byte header on every message
 * (protocol tag, message type, flags whose bit 0 marks query traffic), the size limit,
 * traffic counting, and dropping malformed input without harm.
 *
 *   0      1      2      3 ...
 *   +------+------+------+--------------------
 *   | tag  | type | flags| body (per overlay codec)
 *   +------+------+------+--------------------
 */
import type { Address, Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayNodeContext } from '../types.js';
import type { AddressTable } from './addresses.js';
import { ByteReader, ByteWriter, OverlayMessageError } from './binary.js';
import type { OverlayCounters } from './counters.js';

export const HEADER_BYTES = 3;
/** Default largest overlay datagram: fits a 1500-byte MTU with IP and UDP headers. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1400;

/** Starts a message: header written, body to follow. */
export function startMessage(tag: number, type: number, traffic: number, bodyCapacity: number): ByteWriter {
  return new ByteWriter(HEADER_BYTES + bodyCapacity).u8(tag).u8(type).u8(traffic & 1);
}

export abstract class BaseOverlayNode {
  readonly address: Address;
  protected readonly rt: Runtime;
  protected readonly endpoint: UdpEndpoint;
  protected readonly context: OverlayNodeContext;
  protected readonly addresses: AddressTable;
  protected readonly counters: OverlayCounters;
  /** This node's own address key. */
  protected readonly selfKey: number;
  protected readonly maxMessageBytes: number;
  protected stopped = false;
  private readonly tag: number;

  constructor(rt: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext, tag: number, maxMessageBytes: number) {
    this.rt = rt;
    this.endpoint = endpoint;
    this.context = context;
    this.addresses = context.addresses;
    this.counters = context.counters;
    this.address = endpoint.address;
    this.selfKey = context.addresses.register(endpoint.address);
    if (this.selfKey < 0) throw new RangeError(`overlay nodes need an IPv4 address, got ${endpoint.address.host}`);
    this.tag = tag;
    this.maxMessageBytes = maxMessageBytes;
    endpoint.onMessage((data, from) => this.receive(data, from));
  }

  /** Handles one decoded header; the reader is positioned at the body. */
  protected abstract handle(type: number, traffic: number, from: number, body: ByteReader): void;

  /** Sends a finished message to an address key (never more than the size limit). */
  protected send(to: number, message: Uint8Array): void {
    if (this.stopped) return;
    if (message.byteLength > this.maxMessageBytes) throw new RangeError(`overlay message of ${message.byteLength} bytes exceeds maxMessageBytes ${this.maxMessageBytes}`);
    this.counters.sent(message[2] & 1, message.byteLength);
    this.endpoint.send(message, this.addresses.get(to));
  }

  private receive(data: Uint8Array, from: Address): void {
    if (this.stopped) return;
    const counters = this.counters;
    if (data.byteLength < HEADER_BYTES || data.byteLength > this.maxMessageBytes || data[0] !== this.tag) {
      counters.malformed++;
      return;
    }
    const fromKey = this.addresses.keyOf(from);
    if (fromKey < 0 || fromKey === this.selfKey) {
      counters.malformed++;
      return;
    }
    const traffic = data[2] & 1;
    counters.received(this.context.index, traffic);
    try {
      this.handle(data[1], traffic, fromKey, new ByteReader(data, HEADER_BYTES));
    } catch (e) {
      if (e instanceof OverlayMessageError) {
        counters.malformed++;
        return;
      }
      throw e;
    }
  }
}
