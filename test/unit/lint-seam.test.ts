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
};

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
    // A relative dynamic import is not Node I/O.
    assert.equal(await seamErrors(eslint, "export async function f(): Promise<unknown> {\n  return import('./other.js');\n}\n", `${root}src/dht/lint-probe.ts`), 0);
  });
});
