/** The session-wide rate limiters, set to the normal or the alternative limits (src/daemon/alt-speed.ts) as settings and the time say. */
import type { Clock } from '../../runtime/types.js';
import { RateLimiter } from '../../swarm/rate-limit.js';
import { rateLimitsInForce, type LocalTime } from '../alt-speed.js';
import type { Settings } from '../types.js';

export class SessionLimits {
  readonly download: RateLimiter;
  readonly upload: RateLimiter;
  private inForce: { download: number; upload: number; alt: boolean };

  constructor(clock: Clock, settings: Settings, time: LocalTime) {
    this.inForce = rateLimitsInForce(settings, time);
    this.download = new RateLimiter(clock, this.inForce.download);
    this.upload = new RateLimiter(clock, this.inForce.upload);
  }

  /** Whether the alternative limits are in force. */
  get alt(): boolean {
    return this.inForce.alt;
  }

  /** Applies the limits in force now; says when the alternative ones switch on or off. */
  update(settings: Settings, time: LocalTime, log: (m: string) => void): void {
    const next = rateLimitsInForce(settings, time);
    if (next.alt !== this.inForce.alt) log(`alternative rate limits ${next.alt ? 'on' : 'off'} (download ${next.download || 'unlimited'}, upload ${next.upload || 'unlimited'} bytes/s)`);
    this.inForce = next;
    if (this.download.bytesPerSecond !== next.download) this.download.setRate(next.download);
    if (this.upload.bytesPerSecond !== next.upload) this.upload.setRate(next.upload);
  }
}
