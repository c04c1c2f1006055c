import type { ByteStream } from '../../src/runtime/types.js';

/** Writes `data` to `s` in 16 KiB chunks, waiting for drain when it pushes back, then ends it. */
export function pump(s: ByteStream, data: Uint8Array): void {
  let o = 0;
  const more = (): void => {
    while (o < data.length) {
      const chunk = data.subarray(o, o + 16384);
      o += chunk.length;
      if (!s.write(chunk)) return;
    }
    s.end();
  };
  s.onDrain(more);
  more();
}
