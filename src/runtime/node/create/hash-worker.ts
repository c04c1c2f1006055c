/** Worker thread entry: hashes units sent by `HashPool`. */
import { parentPort } from 'node:worker_threads';
import { hashUnit, type HashUnit } from '../../../metainfo/hash-unit.js';
import { FileReader } from './file-reader.js';

const reader = new FileReader();
let buffer = new Uint8Array(0);

parentPort?.on('message', (unit: HashUnit | null) => {
  if (unit === null) {
    reader.close();
    parentPort?.close();
    return;
  }
  try {
    if (buffer.length < unit.length) buffer = new Uint8Array(unit.length);
    const r = hashUnit(unit, buffer, reader);
    parentPort?.postMessage({ ok: r }, [r.sha1.buffer as ArrayBuffer, r.v2.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ error: { id: unit.id, message: (e as Error).message } });
  }
});
