/**
 * A counting semaphore: at most `max` holders at once, the rest wait in arrival order. The
 * daemon uses it for full rechecks, each of which reads and hashes every piece of a torrent
 * (with its own read buffers and piece cache): "select all, recheck" on hundreds of torrents
 * must not hash them all at once (libtorrent's `active_checking` is 1, qBittorrent's
 * "max concurrent checking torrents" 1).
 */
export class Slots {
  private holders = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('Slots: max must be a positive integer');
  }

  /** Resolves with a release function once a slot is free; call it exactly once. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.holders++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.holders--;
          this.queue.shift()?.();
        });
      };
      if (this.holders < this.max) grant();
      else this.queue.push(grant);
    });
  }

  /** Slots held now. */
  get active(): number {
    return this.holders;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }
}
