/**
 * A UDP relay that impairs what it forwards, like `tc netem` does at the qdisc: a fixed
 * one-way delay, random loss and reordering (a share of datagrams skips the delay queue),
 * in both directions. Used where the kernel has no sch_netem (CONFIG_NET_SCH_NETEM is off on
 * the CI machine): uTP tests and benches dial the relay's `address` instead of the peer.
 *
 *     client --> relay.address  [delay, loss, reorder]  relay socket per client --> target
 *     client <--                [delay, loss, reorder]  <--                          target
 *
 * Each client address gets its own outward socket, so the target sees one address per
 * client (as behind a NAT) and replies find their way back. Randomness is seeded (xorshift).
 */
import dgram from 'node:dgram';

export interface ImpairmentOptions {
  /** One-way delay per direction, ms (RTT adds twice this). */
  readonly delayMs: number;
  /** Share of datagrams dropped per direction, 0..1. */
  readonly loss: number;
  /** Share of datagrams sent at once instead of after the delay, 0..1 (reordering). */
  readonly reorder: number;
  readonly seed?: number;
}

export interface RelayStats {
  forwarded: number;
  dropped: number;
  reordered: number;
}

export interface ImpairedRelay {
  /** Where clients send (host:port). */
  readonly address: { host: string; port: number };
  readonly stats: RelayStats;
  close(): void;
}

interface Pending {
  readonly at: number;
  readonly data: Buffer;
  readonly send: (d: Buffer) => void;
}

/** Starts a relay listening on `listenHost` (any port), forwarding to `target`, with outward sockets on `outHost`. */
export async function startImpairedRelay(o: { listenHost: string; outHost: string; target: { host: string; port: number }; impair: ImpairmentOptions }): Promise<ImpairedRelay> {
  let x = (o.impair.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
  const stats: RelayStats = { forwarded: 0, dropped: 0, reordered: 0 };
  // One FIFO per relay: a constant delay keeps it ordered, so one timer for its head suffices.
  const queue: Pending[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && queue[head].at <= now + 0.5) {
      const p = queue[head++];
      p.send(p.data);
    }
    if (head > 4096) {
      queue.splice(0, head);
      head = 0;
    }
    if (head < queue.length) timer = setTimeout(pump, Math.max(0, queue[head].at - now));
  };
  const impair = (data: Buffer, send: (d: Buffer) => void): void => {
    if (random() < o.impair.loss) {
      stats.dropped++;
      return;
    }
    stats.forwarded++;
    if (random() < o.impair.reorder) {
      stats.reordered++;
      send(data);
      return;
    }
    queue.push({ at: performance.now() + o.impair.delayMs, data, send });
    timer ??= setTimeout(pump, o.impair.delayMs);
  };

  const front = dgram.createSocket('udp4');
  const outward = new Map<string, dgram.Socket>();
  const bufferBytes = 8 * 1024 * 1024;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(0, o.listenHost, () => resolve());
  });
  front.setRecvBufferSize(bufferBytes);
  front.setSendBufferSize(bufferBytes);
  front.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let out = outward.get(key);
    if (!out) {
      const s = dgram.createSocket('udp4');
      out = s;
      outward.set(key, s);
      s.bind(0, o.outHost, () => {
        s.setRecvBufferSize(bufferBytes);
        s.setSendBufferSize(bufferBytes);
      });
      s.on('message', (back) => impair(back, (d) => front.send(d, from.port, from.address)));
      s.on('error', () => undefined);
    }
    const s = out;
    impair(msg, (d) => s.send(d, o.target.port, o.target.host));
  });
  front.on('error', () => undefined);
  const a = front.address();
  return {
    address: { host: a.address, port: a.port },
    stats,
    close: () => {
      if (timer) clearTimeout(timer);
      front.close();
      for (const s of outward.values()) s.close();
    },
  };
}
