#!/usr/bin/env node
// `npm start`: builds only when a source file is newer than the last build, then runs
// `shoal daemon` with any extra arguments (`npm start -- --api 127.0.0.1:8080`).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = resolve(import.meta.dirname, '..');
const outputs = [join(root, 'dist', 'src', 'cli', 'main.js'), join(root, 'dist', 'web', 'index.html')];
const inputs = ['src', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'web/tsconfig.json', 'web/vite.config.ts'];

/** The newest modification time under `p` (files only; node_modules and dist skipped). */
function newest(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name === 'dist') continue;
    t = Math.max(t, newest(join(p, name)));
  }
  return t;
}

const built = Math.min(...outputs.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
const changed = Math.max(...inputs.map((p) => newest(join(root, p))));
if (built === 0 || changed > built) {
  console.error(built === 0 ? 'shoal: building (first run)…' : 'shoal: sources changed since the last build; building…');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// Run the daemon in this process (not a child), so Ctrl-C and `kill` reach it directly.
const main = join(root, 'dist', 'src', 'cli', 'main.js');
process.argv = [process.argv[0], main, 'daemon', ...process.argv.slice(2)];
await import(pathToFileURL(main).href);
