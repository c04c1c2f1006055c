/**
 * bench ledbat: does Shoal's uTP yield to TCP (LEDBAT, BEP 29)? Two network namespaces joined
 * through a router namespace whose interface towards the receiver is shaped to 50 Mbit/s by
 * `tc tbf` with a 300 ms queue (a home uplink with a deep buffer). A TCP bulk flow and a Shoal uTP bulk flow (bench/ledbat-flow.ts,
 * each in its own process) cross it: each alone, then together (uTP first, TCP joining it).
 * Prints the TCP flow's share of the link while the uTP flow runs (target >= 80 %).
 *
 * node dist/bench/ledbat.js [SECONDS] (per phase, default 10). Needs root, `ip netns` and tc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRoutedPath, vethSkipReason, type NetnsSide } from '../test/interop/utp-netns.js';

const SECONDS = Number(process.argv[2] ?? 10);
const LINK_MBIT = 50;
const LINK_BYTES_PER_S = (LINK_MBIT * 1e6) / 8;
const FLOW = fileURLToPath(new URL('./ledbat-flow.js', import.meta.url));

const skip = vethSkipReason();
if (skip) {
  console.log(`# bench ledbat skipped: ${skip}`);
  process.exit(0);
}

const children: ChildProcess[] = [];
function flow(side: NetnsSide, mode: string, arg: string): { child: ChildProcess; lines: AsyncIterator<string> } {
  const [cmd, argv] = side.wrap(process.execPath, [FLOW, mode, arg]);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

/** A sink in `b`: its port, and a reader of its cumulative byte count. */
async function sink(b: NetnsSide, kind: 'tcp' | 'utp') {
  const f = flow(b, `${kind}-sink`, b.address);
  let latest = 0;
  const first = await f.lines.next();
  const port = (JSON.parse(first.value as string) as { port: number }).port;
  void (async () => {
    for (;;) {
      const r = await f.lines.next();
      if (r.done) return;
      latest = (JSON.parse(r.value) as { bytes: number }).bytes;
    }
  })();
  return { port, bytes: () => latest };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes per second each reader gained over `seconds`. */
async function rates(readers: (() => number)[], seconds: number): Promise<number[]> {
  const before = readers.map((r) => r());
  await sleep(seconds * 1000);
  return readers.map((r, i) => (r() - before[i]) / seconds);
}

const mb = (x: number) => ((x * 8) / 1e6).toFixed(1);
const pct = (x: number) => (100 * x) / LINK_BYTES_PER_S;

/** One round with the TCP sender's namespace using congestion control `cc`. */
async function round(cc: string): Promise<void> {
  const net = createRoutedPath();
  try {
    // Per namespace, so only this sender uses it (namespaces may pick reno or bbr here; cubic is not allowed).
    const set = net.a.exec('sh', ['-c', `printf ${cc} > /proc/sys/net/ipv4/tcp_congestion_control`]);
    if (set.status !== 0) throw new Error(`cannot set TCP congestion control ${cc}: ${set.stderr.trim()}`);
    net.shapeSide(net.router, ['tbf', 'rate', `${LINK_MBIT}mbit`, 'burst', '64kb', 'latency', '300ms']);
    const tcpSink = await sink(net.b, 'tcp');
    const utpSink = await sink(net.b, 'utp');
    // uTP alone: it should fill the link when nothing else wants it.
    const utpSend = flow(net.a, 'utp-send', `${net.b.address}:${utpSink.port}`);
    await sleep(3000);
    const [utpAlone] = await rates([utpSink.bytes], SECONDS);
    // TCP joins: LEDBAT should back off to what TCP leaves.
    const tcpSend = flow(net.a, 'tcp-send', `${net.b.address}:${tcpSink.port}`);
    await sleep(3000);
    const [tcpBeside, utpBeside] = await rates([tcpSink.bytes, utpSink.bytes], SECONDS);
    utpSend.child.kill();
    await sleep(2000);
    const [tcpAlone] = await rates([tcpSink.bytes], SECONDS);
    tcpSend.child.kill();
    console.log(`# TCP ${cc}: uTP alone ${mb(utpAlone)} Mbit/s; together: TCP ${mb(tcpBeside)}, uTP ${mb(utpBeside)} Mbit/s; TCP alone ${mb(tcpAlone)} Mbit/s`);
    console.log(`bench ledbat-tcp-share-${cc}: shoal ${pct(tcpBeside).toFixed(2)} %, target 80.00 %, ratio ${(pct(tcpBeside) / 80).toFixed(2)}`);
    console.log(`bench ledbat-utp-alone-${cc}: shoal ${pct(utpAlone).toFixed(2)} % of the link, tcp alone ${pct(tcpAlone).toFixed(2)} %, ratio ${(utpAlone / tcpAlone).toFixed(2)}`);
  } finally {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    net.destroy();
  }
}

console.log(`# ${LINK_MBIT} Mbit/s tbf link with a 300 ms queue; ${SECONDS} s per phase`);
// Reno: loss-based, the kind of TCP LEDBAT is built to yield to (CUBIC behaves alike). BBR
// keeps almost no queue, so a delay-based flow sees little to yield to: shown for the record.
for (const cc of (process.env.SHOAL_LEDBAT_TCP ?? 'reno,bbr').split(',')) await round(cc);
