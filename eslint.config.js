// Lint runs as part of `npm test`: typescript-eslint's recommended rules plus a few house rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);
