// Lint runs as part of `npm test`: typescript-eslint's recommended rules plus a few house rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The runtime seam, enforced (shared/ARCHITECTURE.md): sockets, name resolution, HTTP, files,
// timers and clocks are reached through `Runtime` (src/runtime/types.ts), never directly,
// outside the I/O edges (cli/, daemon/, runtime/node/; bench/, test/ and scripts/ are not in src/).
const SEAM_MESSAGE = 'Reach this through the runtime seam (src/runtime/types.ts); only cli/, daemon/ and runtime/node/ touch Node I/O.';
const NODE_IO_MODULES = ['net', 'dgram', 'dns', 'dns/promises', 'http', 'https', 'fs', 'fs/promises', 'timers', 'timers/promises', 'perf_hooks', 'worker_threads', 'child_process'];
// The same modules reached around the import rule: `import('node:fs')` at run time, and the
// clock and timers through `globalThis` (which the property and globals rules do not see).
const NODE_IO_PATTERN = `^(node:)?(${NODE_IO_MODULES.map((m) => m.replace('/', '\\/')).join('|')})$`;
const seamBypasses = [
  { selector: `ImportExpression[source.value=/${NODE_IO_PATTERN}/]`, message: SEAM_MESSAGE },
  { selector: "MemberExpression[object.name='globalThis'][property.name=/^(performance|Date|setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|fetch)$/]", message: SEAM_MESSAGE },
];
const SEAM_GLOBALS = ['setTimeout', 'setInterval', 'setImmediate'];
const seamImports = {
  paths: NODE_IO_MODULES.flatMap((m) => [{ name: `node:${m}`, message: SEAM_MESSAGE, allowTypeImports: true }, { name: m, message: SEAM_MESSAGE, allowTypeImports: true }]),
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Protocol cores reach time, timers, randomness and HTTP only through the runtime seam.
    files: ['src/**/*.ts'],
    ignores: ['src/runtime/node/**', 'src/cli/**'],
    rules: {
      'no-restricted-globals': ['error', ...SEAM_GLOBALS],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the runtime clock.' },
        { object: 'Math', property: 'random', message: 'Use the runtime random source.' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    // No exemptions but these three: Node-bound code lives in runtime/node/ (the file backend's
    // disk calls in disk/, torrent creation's file reads and hashing workers in create/).
    ignores: ['src/runtime/node/**', 'src/cli/**', 'src/daemon/**'],
    rules: {
      'no-restricted-imports': ['error', seamImports],
      // The daemon's URL fetcher (`shoal add <url>`) is an I/O edge; everything else asks runtime.http.
      'no-restricted-globals': ['error', ...SEAM_GLOBALS, { name: 'fetch', message: SEAM_MESSAGE }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the runtime clock.' },
        { object: 'performance', property: 'now', message: 'Use the runtime clock.' },
        { object: 'Math', property: 'random', message: 'Use the runtime random source.' }],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The current date comes from the caller (a CLI or daemon clock), not from inside a core.' },
        ...seamBypasses],
    },
  },

);
