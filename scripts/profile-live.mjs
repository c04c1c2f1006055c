#!/usr/bin/env -S node --experimental-websocket
// Profiles a running Node process for a while without restarting it: send it SIGUSR1 first
// (`kill -USR1 PID`: its inspector listens on 127.0.0.1:9229), then
//   node --experimental-websocket scripts/profile-live.mjs [PORT] [SECONDS] [OUT.cpuprofile]
// and summarise OUT with scripts/profile-summary.mjs. With `--eval EXPR` instead of SECONDS it
// prints EXPR evaluated in the process (e.g. 'JSON.stringify(process.memoryUsage())'); with
// `--alloc S` it samples allocations for S seconds and prints the bytes allocated per function
// (`--alloc-live S`: only those still alive at the end).
/* global fetch, WebSocket -- Node 20 globals (WebSocket with --experimental-websocket) */
import { writeFileSync } from 'node:fs';

const [portArg, what = '20', out = 'live.cpuprofile'] = process.argv.slice(2);
const port = Number(portArg) || 9229;
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
let nextId = 1;
const waiting = new Map();
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  if (m.id !== undefined && waiting.has(m.id)) {
    waiting.get(m.id)(m);
    waiting.delete(m.id);
  }
};
const call = (method, params = {}) => new Promise((resolve) => {
  const id = nextId++;
  waiting.set(id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});
await new Promise((resolve) => (ws.onopen = resolve));
if (what === '--eval') {
  const r = await call('Runtime.evaluate', { expression: out, returnByValue: true });
  console.log(r.result?.result?.value ?? JSON.stringify(r));
} else if (what === '--alloc' || what === '--alloc-live') {
  // Sampled allocations for SECONDS (the third argument): bytes allocated per function, the
  // garbage that drives the collector (live and dead alike); with --alloc-live only what is
  // still alive at the end (what survives to be copied and promoted).
  const dead = what === '--alloc';
  const seconds = Number(out) || 20;
  await call('HeapProfiler.enable');
  await call('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: dead, includeObjectsCollectedByMinorGC: dead });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const r = await call('HeapProfiler.stopSampling');
  const bySite = new Map();
  // A builtin (Map.set, a typed array's constructor) is named with its caller: 'add < set'.
  const walk = (n, caller) => {
    const cf = n.callFrame;
    const here = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
    const k = cf.url === '' && caller !== undefined ? `${caller} < ${cf.functionName}` : here;
    bySite.set(k, (bySite.get(k) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, cf.url === '' ? caller : here);
  };
  walk(r.result.profile.head, undefined);
  let total = 0;
  for (const v of bySite.values()) total += v;
  console.log(`sampled ${(total / 1e6).toFixed(1)} MB allocated in ${seconds} s`);
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${((100 * v) / total).toFixed(2).padStart(6)}%  ${k}`);
} else {
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 1000 });
  await call('Profiler.start');
  await new Promise((r) => setTimeout(r, Number(what) * 1000));
  const r = await call('Profiler.stop');
  writeFileSync(out, JSON.stringify(r.result.profile));
  console.log(`wrote ${out}`);
}
ws.close();
