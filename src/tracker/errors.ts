import { InputError, ShoalError } from '../errors.js';

/** A tracker replied with something we cannot parse (a remote violation, never our bug). */
export class TrackerProtocolError extends InputError {}

/** A tracker replied with `failure reason` (HTTP) or an error action (UDP). */
export class TrackerFailure extends ShoalError {}

/** A tracker did not answer in time / could not be reached. */
export class TrackerUnreachable extends ShoalError {}

/** One of the tracker server's front ends could not bind its address (in use, not ours, no permission). */
export class TrackerListenError extends ShoalError {
  /** What went wrong, in words (`the address is already in use`). */
  readonly problem: string;
  constructor(
    /** Which front end: `http` or `udp`. */
    readonly transport: 'http' | 'udp',
    /** The address as asked for, `HOST:PORT`. */
    readonly address: string,
    /** The system error code (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`, ...). */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    const problem = LISTEN_PROBLEMS[code] ?? code;
    super(`cannot ${transport === 'http' ? 'listen for HTTP' : 'bind UDP'} on ${address}: ${problem}`, options);
    this.problem = problem;
  }
}

const LISTEN_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'no interface of this machine has that address',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EPERM: 'permission denied',
};
