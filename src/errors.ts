/**
 * Base class of every error Shoal raises on purpose. Its message is meant for a user:
 * the CLI prints it on one line (stack traces only with --verbose).
 */
export class ShoalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input from outside (a file, a peer, a URI) broke a rule; never a bug of ours. */
export class InputError extends ShoalError {}
