/**
 * Base class of every error Shoal raises on purpose. Its message is meant for a user:
 * the CLI prints it on one line (stack traces only with --verbose).
 */
export class ShoalError extends Error {
  /**
   * `stack: false` skips capturing a stack trace (its `stack` is then just the name and
   * message): for errors that are expected and frequent, such as a refused connection, where
   * the capture cost 1.3% of `shoal sim nat`. The message, code and `cause` are kept.
   */
  constructor(message: string, options?: { cause?: unknown; stack?: boolean }) {
    const limit = Error.stackTraceLimit;
    if (options?.stack === false) Error.stackTraceLimit = 0;
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = limit;
    this.name = new.target.name;
  }
}

/** Input from outside (a file, a peer, a URI) broke a rule; never a bug of ours. */
export class InputError extends ShoalError {}
