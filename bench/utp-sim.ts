/**
 * bench utp-sim: one uTP sender on the simulator, on virtual time, so the figure does not
 * depend on the machine's load: SIZE bytes through a fixed one-way delay and random loss on
 * a 100 Mbit/s path, for several seeds (the loss pattern). Prints MiB/s per seed and the mean,
 * with the sender's counters (retransmits, timeouts, fast retransmits, lost re-sends).
 *
 * node dist/bench/utp-sim.js [SIZE] (default 8M); SHOAL_UTP_SIM_DELAY_MS (25 one way),
 * SHOAL_UTP_SIM_LOSS (0.01), SHOAL_UTP_SIM_SEEDS (1,2,3,4,5), SHOAL_UTP_SIM_OPTIONS (JSON,
 * connection options to try, e.g. '{"lossCutIntervalMs":0}').
 */
import { ConstantLatency, Simulator } from '../src/sim/index.js';
import { SeededRandom } from '../src/runtime/random.js';
import type { ByteStream } from '../src/runtime/types.js';
import type { UtpConnectionOptions } from '../src/transport/utp/options.js';
import type { UtpStream } from '../src/transport/utp/stream.js';
import { UtpStreams } from '../src/transport/utp/streams.js';
import { pump } from '../test/helpers/pump.js';

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const size = parseSize(process.argv[2] ?? '8M');
const delayMs = Number(process.env.SHOAL_UTP_SIM_DELAY_MS ?? 25);
const loss = Number(process.env.SHOAL_UTP_SIM_LOSS ?? 0.01);
const seeds = (process.env.SHOAL_UTP_SIM_SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const connection = JSON.parse(process.env.SHOAL_UTP_SIM_OPTIONS ?? '{}') as Partial<UtpConnectionOptions>;
const PORT = 6881;

/** Runs the simulator in 5 ms steps until `p` settles (uTP's connect promise is not the simulator's). */
async function drive<T>(sim: Simulator, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  const end = sim.now + 60_000;
  while (!done && sim.now < end) await sim.runFor(5);
  return p;
}

async function run(seed: number): Promise<{ secs: number; stats: UtpStream['conn']['stats'] }> {
  const sim = new Simulator({ seed, lossRate: loss, latency: new ConstantLatency(delayMs) });
  const a = sim.createHost({ uploadBps: 100e6, downloadBps: 100e6 });
  const b = sim.createHost({ uploadBps: 100e6, downloadBps: 100e6 });
  const server = new UtpStreams(b.runtime, { connection });
  let got = 0;
  let doneAt: number | undefined;
  await drive(sim, server.listen({ host: b.address, port: PORT }, (s: ByteStream) => {
    s.onData((d) => {
      got += d.length;
      if (got >= size && doneAt === undefined) doneAt = sim.now;
    });
    s.onEnd(() => s.end());
  }));
  const client = new UtpStreams(a.runtime, { connection });
  const data = new SeededRandom(seed).bytes(size);
  const cpu0 = process.cpuUsage();
  const started = sim.now;
  const s = (await drive(sim, client.connect({ host: b.address, port: PORT }))) as UtpStream;
  pump(s, data);
  while (doneAt === undefined && sim.now - started < 3_600_000) await sim.runFor(100);
  if (doneAt === undefined) throw new Error(`seed ${seed}: not done after an hour of virtual time`);
  const cpu = process.cpuUsage(cpu0);
  cpuSeconds += (cpu.user + cpu.system) / 1e6;
  const stats = { ...s.conn.stats };
  client.close();
  server.close();
  return { secs: (doneAt - started) / 1000, stats };
}

/** CPU of this process during the transfers (both ends and the simulator), summed over the seeds. */
let cpuSeconds = 0;
console.log(`# ${size} bytes over uTP on the simulator: ${delayMs} ms one way, ${loss * 100} % loss each way, 100 Mbit/s; options ${JSON.stringify(connection)}`);
let total = 0;
for (const seed of seeds) {
  const r = await run(seed);
  total += r.secs;
  console.log(`seed ${seed}: ${(size / 2 ** 20 / r.secs).toFixed(3)} MiB/s ${JSON.stringify(r.stats)}`);
}
console.log(`bench utp-sim: ${(size / 2 ** 20 / (total / seeds.length)).toFixed(3)} MiB/s (mean time over ${seeds.length} seeds)`);
// Real CPU of this process (both ends and the simulator) per MiB carried: the per-packet cost of
// the uTP code, which `shoal sim nat` pays too; it does not move with the machine's load as much as wall time.
console.log(`bench utp-sim-cpu: ${((cpuSeconds * 1000) / ((size / 2 ** 20) * seeds.length)).toFixed(2)} ms/MiB (user + sys during the transfers, both ends and the simulator)`);
