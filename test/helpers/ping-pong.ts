/**
 * A tiny UDP ping-pong protocol written once against the runtime seam; the tests run it
 * unchanged on the Node runtime and on the simulator.
 *
 * Wire format: type (1 byte: 1 = ping, 2 = pong), sequence number (u32 big-endian), then
 * an opaque payload the server echoes back.
 */
import type { Address, Runtime, TimerHandle } from '../../src/runtime/types.js';

const PING = 1;
const PONG = 2;

export interface PingServer {
  readonly address: Address;
  /** Pings answered so far. */
  readonly answered: () => number;
  close(): void;
}

export async function startPingServer(rt: Runtime, bind: Address): Promise<PingServer> {
  const ep = await rt.udp.bind(bind);
  let answered = 0;
  ep.onMessage((data, from) => {
    if (data.byteLength < 5 || data[0] !== PING) return;
    const reply = new Uint8Array(data);
    reply[0] = PONG;
    answered++;
    ep.send(reply, from);
  });
  return { address: ep.address, answered: () => answered, close: () => ep.close() };
}

export interface PingOptions {
  count: number;
  /** Wait this long for each pong before resending, ms. */
  timeoutMs: number;
  /** Resends per ping before giving up on it. */
  retries: number;
  payloadBytes?: number;
}

export interface PingResult {
  /** Pongs that matched an outstanding ping. */
  pongs: number;
  /** Pings given up on after all retries. */
  failed: number;
  resends: number;
  /** Round-trip time of each answered ping, ms (from its last send). */
  rtts: number[];
}

/** Sends `count` pings one after another and resolves when each was answered or gave up. */
export async function runPingClient(rt: Runtime, bind: Address, server: Address, options: PingOptions): Promise<PingResult> {
  const ep = await rt.udp.bind(bind);
  const result: PingResult = { pongs: 0, failed: 0, resends: 0, rtts: [] };
  const payload = rt.random.bytes(options.payloadBytes ?? 16);
  return new Promise((resolve) => {
    let seq = 0;
    let tries = 0;
    let sentAt = 0;
    let timer: TimerHandle | null = null;

    const send = (): void => {
      const msg = new Uint8Array(5 + payload.byteLength);
      msg[0] = PING;
      new DataView(msg.buffer).setUint32(1, seq);
      msg.set(payload, 5);
      sentAt = rt.clock.now();
      ep.send(msg, server);
      timer = rt.clock.setTimer(options.timeoutMs, onTimeout);
    };
    const next = (): void => {
      seq++;
      tries = 0;
      if (seq > options.count) {
        ep.close();
        resolve(result);
      } else {
        send();
      }
    };
    const onTimeout = (): void => {
      timer = null;
      if (tries < options.retries) {
        tries++;
        result.resends++;
        send();
      } else {
        result.failed++;
        next();
      }
    };
    ep.onMessage((data) => {
      if (data.byteLength < 5 || data[0] !== PONG) return;
      const got = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
      if (got !== seq || timer === null) return; // a late duplicate
      timer.cancel();
      timer = null;
      result.pongs++;
      result.rtts.push(rt.clock.now() - sentAt);
      next();
    });
    next();
  });
}
