/** The simulator core: virtual time, a virtual network, and simulated runtimes for hosts. */
export { Simulator } from './simulator.js';
export type { SimulatorOptions, RunOptions } from './simulator.js';
export { SimHost, SimClock, SimTimer } from './host.js';
export type { HostOptions, SimRuntime } from './host.js';
export { Network, NetworkStats, UDP_OVERHEAD_BYTES, TCP_OVERHEAD_BYTES, MAX_DATAGRAM_BYTES, LOOPBACK_MS } from './network.js';
export type { NetworkConfig } from './network.js';
export { ConstantLatency, LognormalLatency, inverseNormalCdf } from './latency.js';
export type { LatencyModel, LognormalLatencyOptions } from './latency.js';
export { EventQueue } from './event-queue.js';
export { LinkTable } from './links.js';
export type { EventFn } from './event-queue.js';
export { SimUdpEndpoint, SimUdp } from './udp.js';
export { SimStreams, SimListener } from './streams.js';
export { SimByteStream, SEGMENT_BYTES, HIGH_WATER_MARK_BYTES } from './stream.js';
export { NatBox, canPunch } from './nat.js';
export type { NatType } from './nat.js';
