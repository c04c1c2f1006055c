/** Defaults of the swarm's options and the timeouts behind them. */

/** A peer that owes us blocks and sent none for this long gets its requests given to others. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Default of `SwarmOptions.silentPeerTimeoutMs`: two request timeouts. */
export const DEFAULT_SILENT_PEER_TIMEOUT_MS = 2 * REQUEST_TIMEOUT_MS;
/** Default of `SwarmOptions.handshakeTimeoutMs` (libtorrent's `handshake_timeout`). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default of `SwarmOptions.maxQueuedUploadBytes`. */
export const DEFAULT_MAX_QUEUED_UPLOAD_BYTES = 1024 * 1024;
/** Default of `SwarmOptions.maxRequestedBytes`: 2048 blocks, 2.6 Gbit/s at 100 ms round trip. */
export const DEFAULT_MAX_REQUESTED_BYTES = 32 * 1024 * 1024;
/** Default of `SwarmOptions.maxUnsentBytes`: the upload budget (1 MiB) with room for our own haves. */
export const DEFAULT_MAX_UNSENT_BYTES = 4 * 1024 * 1024;
