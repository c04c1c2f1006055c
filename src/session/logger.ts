/**
 * Where the client's messages go. The session layer never writes to stderr itself: the CLI
 * passes a logger that prints, the daemon one that goes to its log, the simulator none.
 */
export interface Logger {
  /** Something a user should see (a port mapped, a tracker's warning). */
  info(message: string): void;
  /** Something went wrong that nobody is waiting for (a tracker failing, the DHT not starting). */
  warn(message: string): void;
  /** Detail for debugging (every announce); a logger may drop it. */
  debug(message: string): void;
}

/** Drops everything (the simulator, tests). */
export const SILENT_LOGGER: Logger = { info: () => undefined, warn: () => undefined, debug: () => undefined };
