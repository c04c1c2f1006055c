/** Tracks what a Node runtime opened so `close()` can release all of it (tests, shutdown). */
export interface Closable {
  close(): void;
}

export class ResourceTracker {
  private readonly open = new Set<Closable>();
  add(c: Closable): void {
    this.open.add(c);
  }
  delete(c: Closable): void {
    this.open.delete(c);
  }
  get size(): number {
    return this.open.size;
  }
  closeAll(): void {
    for (const c of [...this.open]) c.close();
    this.open.clear();
  }
}
