import { InputError, ShoalError } from '../errors.js';

/** A tracker replied with something we cannot parse (a remote violation, never our bug). */
export class TrackerProtocolError extends InputError {}

/** A tracker replied with `failure reason` (HTTP) or an error action (UDP). */
export class TrackerFailure extends ShoalError {}

/** A tracker did not answer in time / could not be reached. */
export class TrackerUnreachable extends ShoalError {}
