#!/usr/bin/env node
// `npm start`: Shoal's main job until the daemon exists. Generates a small sample folder,
// creates a hybrid torrent of it with `shoal create`, and prints `shoal info` of the result.
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const cli = resolve(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'shoal-demo-'));
const sample = join(dir, 'sample');
mkdirSync(join(sample, 'docs'), { recursive: true });
// Deterministic pseudo-random content, so the info hash is the same on every machine.
function bytes(seed, n) {
  const out = Buffer.alloc(n);
  let block = Buffer.from(seed);
  for (let o = 0; o < n; o += 32) {
    block = createHash('sha256').update(block).digest();
    block.copy(out, o, 0, Math.min(32, n - o));
  }
  return out;
}
writeFileSync(join(sample, 'video.bin'), bytes('video', 3 * 1024 * 1024 + 12345));
writeFileSync(join(sample, 'docs', 'readme.txt'), 'Hello from Shoal.\n');
writeFileSync(join(sample, 'docs', 'data.bin'), bytes('data', 200_000));

const out = join(dir, 'sample.torrent');
const run = (args) => {
  console.log(`$ shoal ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['create', sample, '-o', out, '--tracker', 'udp://tracker.example:6969/announce', '--comment', 'Shoal demo', '--no-date']);
console.log();
run(['info', out]);
