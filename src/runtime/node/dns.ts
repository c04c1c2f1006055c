/** Name resolution through the operating system's resolver (`getaddrinfo`), with a deadline. */
import { lookup } from 'node:dns/promises';
import type { Dns } from '../types.js';
import { NetworkError } from '../types.js';
import { toNetworkError } from './errors.js';

/** How long one name may take to resolve (default). */
export const DEFAULT_DNS_TIMEOUT_MS = 3000;

export class NodeDns implements Dns {
  constructor(private readonly timeoutMs = DEFAULT_DNS_TIMEOUT_MS) {}

  async resolve(name: string, family: 4 | 6): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NetworkError('ETIMEDOUT', `${name}: no answer from the resolver within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    try {
      const all = await Promise.race([lookup(name, { family, all: true }), timeout]);
      return all.map((a) => a.address);
    } catch (e) {
      throw toNetworkError(e, `resolving ${name}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
