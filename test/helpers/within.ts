/** Rejects if `p` has not settled within `ms`: a test of code that used to hang fails instead of hanging. */
export function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle in ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Resolves once `cond()` holds, polling every `everyMs`; rejects naming `what` after `ms`. */
export function until(cond: () => boolean, what: string, ms = 20_000, everyMs = 20): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      if (cond()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`gave up waiting for ${what}`));
      setTimeout(check, everyMs);
    };
    check();
  });
}
