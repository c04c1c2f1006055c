// Lint runs as part of `npm test`: typescript-eslint's recommended rules plus a few house rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The runtime seam, enforced (shared/ARCHITECTURE.md): sockets, name resolution, HTTP, files,
// timers and clocks are reached through `Runtime` (src/runtime/types.ts), never directly,
// outside the I/O edges (cli/, daemon/, runtime/node/; bench/, test/ and scripts/ are not in src/).
const SEAM_MESSAGE = 'Reach this through the runtime seam (src/runtime/types.ts); only cli/, daemon/ and runtime/node/ touch Node I/O.';
const NODE_IO_MODULES = ['net', 'dgram', 'dns', 'dns/promises', 'http', 'https', 'fs', 'fs/promises', 'timers', 'timers/promises', 'perf_hooks'];
// The same modules reached around the import rule: `import('node:fs')` at run time, and the
// clock and timers through `globalThis` (which the property and globals rules do not see).
const NODE_IO_PATTERN = `^(node:)?(${NODE_IO_MODULES.map((m) => m.replace('/', '\\/')).join('|')})$`;
const seamBypasses = [
  { selector: `ImportExpression[source.value=/${NODE_IO_PATTERN}/]`, message: SEAM_MESSAGE },
  { selector: "MemberExpression[object.name='globalThis'][property.name=/^(performance|Date|setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)$/]", message: SEAM_MESSAGE },
];
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
    // Protocol cores reach time, timers and randomness only through the runtime seam.
    files: ['src/**/*.ts'],
    ignores: ['src/runtime/node/**', 'src/cli/**', 'src/metainfo/hash-worker*.ts', 'src/metainfo/hash-pool.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate'],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the runtime clock.' },
        { object: 'Math', property: 'random', message: 'Use the runtime random source.' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/runtime/node/**', 'src/cli/**', 'src/daemon/**'],
    rules: {
      'no-restricted-imports': ['error', seamImports],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the runtime clock.' },
        { object: 'performance', property: 'now', message: 'Use the runtime clock.' },
        { object: 'Math', property: 'random', message: 'Use the runtime random source.' }],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The current date comes from the caller (a CLI or daemon clock), not from inside a core.' },
        ...seamBypasses],
    },
  },
  {
    // Known file-I/O adapters, exempt from the seam's import rule only: file storage (the
    // backend behind the PieceStorage interface; memory and virtual storage are the others),
    // torrent creation and its hashing workers (read the files being shared, run from the CLI),
    // and the offline HTML report (reads the bundled chart library once).
    files: [
      'src/storage/file-io.ts', 'src/storage/fd-cache.ts', 'src/storage/resume.ts',
      'src/metainfo/create.ts', 'src/metainfo/hash-unit.ts', 'src/metainfo/hash-worker*.ts', 'src/metainfo/hash-pool.ts',
      'src/overlays/report/chart-lib.ts',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },

);
