/**
 * Issue 15: `Swarm` hands out snapshots (`status()`, `peerList()`, ...) to the layers above it,
 * never its fields. The swarm's own modules (src/swarm/) take the Swarm as their context and
 * the session layer (src/session/) builds it; everything else (the daemon, the CLI, the
 * simulator's scenarios) may call its methods but not read a field (`peers`, `picker`,
 * `storage`, `choker`, ...). Type-checked, so an alias (`const s = entry.swarm; s.peers`) is
 * caught too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/unit -> the repository
const CHECKED = ['src/daemon', 'src/cli', 'src/sim'];
const SWARM_FILE = join(root, 'src', 'swarm', 'swarm.ts');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []);
}

function isSwarm(checker: ts.TypeChecker, type: ts.Type): boolean {
  const t = checker.getNonNullableType(type);
  if (t.isUnion()) return t.types.some((u) => isSwarm(checker, u));
  const decl = t.getSymbol()?.declarations?.[0];
  return decl !== undefined && ts.isClassDeclaration(decl) && decl.name?.text === 'Swarm' && decl.getSourceFile().fileName === SWARM_FILE;
}

/** Field reads of a Swarm (`x.peers`, not `x.status()`) in `files`, as `path:line name`. */
export function swarmFieldReads(files: readonly string[], extra?: { fileName: string; text: string }): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  assert.ok(config, 'tsconfig.json parses');
  const host = ts.createCompilerHost(config.options);
  if (extra) {
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (name === extra.fileName ? ts.createSourceFile(name, extra.text, lang) : read(name, lang, ...rest));
    host.fileExists = ((exists) => (name: string) => name === extra.fileName || exists(name))(host.fileExists.bind(host));
  }
  const roots = extra ? [...files, extra.fileName] : [...files];
  const program = ts.createProgram(roots, { ...config.options, noEmit: true }, host);
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const name of roots) {
    const sf = program.getSourceFile(name);
    assert.ok(sf, `${name} is in the program`);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && isSwarm(checker, checker.getTypeAtLocation(node.expression))) {
        const member = checker.getSymbolAtLocation(node.name);
        const isMethod = member?.declarations?.every((d) => ts.isMethodDeclaration(d)) ?? false;
        if (!isMethod) found.push(`${relative(root, name).split(sep).join('/')}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.name.text}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

describe('layering: Swarm internals stay in src/swarm and src/session', () => {
  it('no field of a Swarm is read in src/daemon, src/cli or src/sim (methods and snapshots only)', () => {
    const files = CHECKED.flatMap((d) => tsFiles(join(root, d)));
    assert.ok(files.length > 50, `checked ${files.length} files`);
    // A probe: a daemon module that reads the peers map again is caught, through an alias too.
    const probe = {
      fileName: join(root, 'src', 'daemon', 'layering-probe.ts'),
      text: "import type { Swarm } from '../swarm/swarm.js';\nexport const n = (e: { swarm?: Swarm }): number => {\n  const s = e.swarm;\n  return (e.swarm?.peers.size ?? 0) + (s ? s.picker?.have.count ?? 0 : 0) + (s?.status().downloaded ?? 0);\n};\n",
    };
    const found = swarmFieldReads(files, probe);
    assert.deepEqual(found.filter((f) => f.startsWith('src/daemon/layering-probe.ts')), ['src/daemon/layering-probe.ts:4 peers', 'src/daemon/layering-probe.ts:4 picker']);
    assert.deepEqual(found.filter((f) => !f.startsWith('src/daemon/layering-probe.ts')), [], 'Swarm fields read outside src/swarm and src/session');
  });
});
