#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof, or the inspector's Profiler.stop): self time
// per function, largest first, and with --lines FN the self time of FN's source lines.
// Usage: node scripts/profile-summary.mjs FILE.cpuprofile [TOP] [--lines FUNCTION_NAME | --inclusive]
import { readFileSync } from 'node:fs';

const [file, topArg, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.mjs FILE.cpuprofile [TOP] [--lines FUNCTION_NAME]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg) || 40;
const linesOf = rest[0] === '--lines' ? rest[1] : undefined;
const inclusive = rest[0] === '--inclusive';
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  hits.set(id, (hits.get(id) ?? 0) + (dt[i] ?? 0));
}
let total = 0;
for (const v of hits.values()) total += v;
const shortUrl = (u) => u.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
const self = new Map();
const lines = new Map();
for (const [id, us] of hits) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  if (linesOf !== undefined && cf.functionName === linesOf && n.positionTicks) {
    const ticks = n.positionTicks.reduce((a, t) => a + t.ticks, 0);
    for (const t of n.positionTicks) lines.set(t.line, (lines.get(t.line) ?? 0) + (us * t.ticks) / ticks);
  }
}
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * us) / total).toFixed(2).padStart(6)}%  ${k}`);
if (inclusive) {
  // Time with each function anywhere on the stack (counted once per sample however deep it recurs).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  for (const [id, us] of hits) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const cf = byId.get(at).callFrame;
      const key = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  console.log('\ninclusive:');
  for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * us) / total).toFixed(2).padStart(6)}%  ${k}`);
}
if (linesOf !== undefined) {
  console.log(`\nlines of ${linesOf}:`);
  for (const [l, us] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${((100 * us) / total).toFixed(2).padStart(6)}%  line ${l}`);
}
