/**
 * One bulk flow for bench/ledbat.ts, run inside a network namespace: a TCP or uTP sender
 * writing as fast as the transport takes it, or a sink counting what arrives and printing
 * `{"bytes": N}` (cumulative) every 250 ms. The sink prints `{"port": N}` once listening.
 *
 * node dist/bench/ledbat-flow.js tcp-sink|utp-sink HOST
 * node dist/bench/ledbat-flow.js tcp-send|utp-send HOST:PORT
 */
import net from 'node:net';
import { createNodeRuntime } from '../src/runtime/node/index.js';
import type { ByteStream } from '../src/runtime/types.js';
import { UtpStreams } from '../src/transport/utp/streams.js';

const [mode, where] = process.argv.slice(2);
const runtime = createNodeRuntime();
const chunk = new Uint8Array(64 * 1024).fill(7);
// SHOAL_UTP_LINEAR=1: BEP 29's linear decrease instead of the default multiplicative one (for comparison).
const utpOptions = { connection: { multiplicativeDecrease: process.env.SHOAL_UTP_LINEAR !== '1' } };
let bytes = 0;

function report(): void {
  setInterval(() => console.log(JSON.stringify({ bytes })), 250);
}

/** Writes forever, waiting for drain whenever the transport says its queue is full. */
function pump(s: ByteStream): void {
  const go = (): void => {
    while (s.write(chunk));
  };
  s.onDrain(go);
  go();
}

if (mode === 'tcp-sink') {
  const server = net.createServer((c) => c.on('data', (d: Buffer) => (bytes += d.length)));
  server.listen(0, where, () => {
    console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }));
    report();
  });
} else if (mode === 'tcp-send') {
  const [host, port] = where.split(':');
  const c = net.connect(Number(port), host);
  const go = (): void => {
    while (c.write(chunk));
  };
  c.on('drain', go);
  c.on('connect', go);
} else if (mode === 'utp-sink') {
  const utp = new UtpStreams(runtime, utpOptions);
  const l = await utp.listen({ host: where, port: 0 }, (s) => s.onData((d) => (bytes += d.length)));
  console.log(JSON.stringify({ port: l.address.port }));
  report();
} else if (mode === 'utp-send') {
  const [host, port] = where.split(':');
  const utp = new UtpStreams(runtime, utpOptions);
  const s = await utp.connect({ host, port: Number(port) });
  pump(s);
  // SHOAL_LEDBAT_DEBUG=1: the sender's window and measured queuing delay on stderr, twice a second.
  const conn = (s as unknown as { conn?: { cc: { cwnd: number; ourDelayUs: number; slowStart: boolean }; curWindow: number; stats: object } }).conn;
  if (process.env.SHOAL_LEDBAT_DEBUG && conn) setInterval(() => process.stderr.write(`cwnd ${Math.round(conn.cc.cwnd)} flight ${conn.curWindow} delay ${(conn.cc.ourDelayUs / 1000).toFixed(1)} ms ss ${conn.cc.slowStart} ${JSON.stringify(conn.stats)}\n`), 500);
} else {
  throw new Error(`unknown mode ${mode}`);
}
