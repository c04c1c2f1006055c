/**
 * The runtime seam's lint rules (eslint.config.js): a protocol core may not reach Node's I/O,
 * clock or timers, neither by import nor around it (`import('node:fs')` at run time,
 * `globalThis.performance.now()`); the I/O edges (src/cli/) may. Linted with the project's
 * own configuration, as `npm test` lints.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/unit -> the repository

const probes: Record<string, string> = {
  'static import': "import { lookup } from 'node:dns';\nexport const f = lookup;\n",
  'dynamic import': "export async function f(): Promise<unknown> {\n  return import('node:fs/promises');\n}\n",
  'dynamic import, bare name': "export async function f(): Promise<unknown> {\n  return import('dgram');\n}\n",
  'performance.now': 'export const f = (): number => performance.now();\n',
  'globalThis.performance.now': 'export const f = (): number => globalThis.performance.now();\n',
  'globalThis.Date.now': 'export const f = (): number => globalThis.Date.now();\n',
  'globalThis.setTimeout': 'export const f = (): unknown => globalThis.setTimeout(() => undefined, 1);\n',
  'new Date()': 'export const f = (): Date => new Date();\n',
  'fetch': "export const f = (): Promise<unknown> => fetch('http://192.168.1.1/');\n",
  'globalThis.fetch': "export const f = (): Promise<unknown> => globalThis.fetch('http://192.168.1.1/');\n",
  'worker_threads': "import { Worker } from 'node:worker_threads';\nexport const f = Worker;\n",
};

/**
 * Files that were exempt from the import rule until session 15 (file storage, torrent creation,
 * the report's chart library): their Node calls live in runtime/node/ now, and these paths are
 * cores like any other.
 */
const formerlyExempt = [
  'src/storage/file-io.ts', 'src/storage/fd-cache.ts', 'src/storage/resume.ts', 'src/metainfo/create.ts',
  'src/metainfo/hash-unit.ts', 'src/metainfo/hash-worker.ts', 'src/metainfo/hash-pool.ts', 'src/overlays/report/chart-lib.ts',
];

async function seamErrors(eslint: ESLint, code: string, filePath: string): Promise<number> {
  const [r] = await eslint.lintText(code, { filePath });
  return r.messages.filter((m) => m.ruleId !== null && /no-restricted/.test(m.ruleId)).length;
}

describe('lint: the runtime seam', () => {
  it('refuses Node I/O, clocks and timers in a core, by import and around it; allows them in the CLI', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const [name, code] of Object.entries(probes)) {
      assert.ok((await seamErrors(eslint, code, `${root}src/dht/lint-probe.ts`)) > 0, `${name} in src/dht is refused`);
      assert.equal(await seamErrors(eslint, code, `${root}src/cli/lint-probe.ts`), 0, `${name} in src/cli is allowed`);
    }
    for (const edge of ['src/daemon/lint-probe.ts', 'src/runtime/node/lint-probe.ts']) {
      assert.equal(await seamErrors(eslint, probes['fetch'], `${root}${edge}`), 0, `fetch in ${edge} is allowed`);
      assert.equal(await seamErrors(eslint, probes['static import'], `${root}${edge}`), 0, `node:dns in ${edge} is allowed`);
    }
    // A relative dynamic import is not Node I/O.
    assert.equal(await seamErrors(eslint, "export async function f(): Promise<unknown> {\n  return import('./other.js');\n}\n", `${root}src/dht/lint-probe.ts`), 0);
  });

  it('exempts only cli/, daemon/ and runtime/node/: no file elsewhere may import node:fs or worker_threads', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const path of formerlyExempt) {
      assert.ok((await seamErrors(eslint, "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", `${root}${path}`)) > 0, `node:fs in ${path} is refused`);
      assert.ok((await seamErrors(eslint, probes['worker_threads'], `${root}${path}`)) > 0, `worker_threads in ${path} is refused`);
    }
  });
});
