// Builds the web UI into dist/web/ (the daemon's HTTP API serves that directory).
// Run as `vite build web`: paths are relative to this directory.
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the page works wherever the daemon mounts it.
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
