/** Reads torrent-creation hashing units from the files being shared (synchronous: it runs on a worker thread). */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ReadRange, UnitReader } from '../../../metainfo/hash-unit.js';

/** Keeps file descriptors open across units; close() when done. */
export class FileReader implements UnitReader {
  private fds = new Map<string, number>();
  read(r: ReadRange, into: Uint8Array): void {
    let fd = this.fds.get(r.path);
    if (fd === undefined) {
      fd = openSync(r.path, 'r');
      this.fds.set(r.path, fd);
    }
    let done = 0;
    while (done < r.length) {
      const n = readSync(fd, into, r.at + done, r.length - done, r.offset + done);
      if (n === 0) throw new Error(`${r.path}: file shrank while hashing`);
      done += n;
    }
  }
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
