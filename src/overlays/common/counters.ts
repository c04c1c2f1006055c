/**
 * Traffic counters shared by every node of one experiment, so the harness can tell
 * messages caused by queries from maintenance, and see which nodes carry the query load.
 * Nodes are numbered by a dense index given at creation; per-node figures live in typed
 * arrays indexed by it.
 */

/** A message's traffic class, carried in every overlay message's flags. */
export const TRAFFIC_MAINTENANCE = 0;
export const TRAFFIC_QUERY = 1;

export class OverlayCounters {
  queryMessages = 0;
  queryBytes = 0;
  maintenanceMessages = 0;
  maintenanceBytes = 0;
  /** Datagrams dropped because they did not decode or broke a limit. */
  malformed = 0;
  /** Query-class messages each node received (the load it carried), by node index. */
  load: Float64Array = new Float64Array(1024);

  /** Counts one message sent. */
  sent(traffic: number, bytes: number): void {
    if (traffic === TRAFFIC_QUERY) {
      this.queryMessages++;
      this.queryBytes += bytes;
    } else {
      this.maintenanceMessages++;
      this.maintenanceBytes += bytes;
    }
  }

  /** Counts one query-class message handled by node `index`. */
  received(index: number, traffic: number): void {
    if (traffic !== TRAFFIC_QUERY || index < 0) return;
    if (index >= this.load.length) {
      let n = this.load.length;
      while (n <= index) n *= 2;
      const grown = new Float64Array(n);
      grown.set(this.load);
      this.load = grown;
    }
    this.load[index]++;
  }

  /** Zeroes the per-node load (message totals are read as differences instead). */
  resetLoad(): void {
    this.load.fill(0);
  }
}
