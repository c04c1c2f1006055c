/**
 * Categories (qBittorrent's, Transmission's labels): a name with its own save path. Kept in
 * `categories.json` in the state directory (atomic writes), read at start.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../runtime/node/disk/resume-file.js';
import { ServiceError, type Category } from '../types.js';

export const MAX_CATEGORY_NAME = 64;
/** Categories the daemon keeps at most (each is a line in the UI's filter). */
export const MAX_CATEGORIES = 1000;

export function checkCategoryName(name: unknown): string {
  if (typeof name !== 'string' || name.length < 1 || name.length > MAX_CATEGORY_NAME) throw new ServiceError(400, `a category name is 1 to ${MAX_CATEGORY_NAME} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (name.includes('/') || /[\u0000-\u001f\u007f]/.test(name)) throw new ServiceError(400, 'a category name has no "/" and no control characters');
  return name;
}

export class Categories {
  private readonly byName = new Map<string, Category>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    let stored: unknown;
    try {
      stored = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return; // none yet (or unreadable: start without)
    }
    if (!Array.isArray(stored)) return;
    for (const c of stored as unknown[]) {
      const { name, savePath } = (c ?? {}) as Record<string, unknown>;
      if (typeof name === 'string' && typeof savePath === 'string' && isAbsolute(savePath)) this.byName.set(name, { name, savePath });
    }
  }

  static in(stateDir: string): Categories {
    return new Categories(join(stateDir, 'categories.json'));
  }

  list(): Category[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): Category | undefined {
    return this.byName.get(name);
  }

  async set(name: string, savePath: string): Promise<Category> {
    checkCategoryName(name);
    if (!isAbsolute(savePath) || savePath.includes('\0')) throw new ServiceError(400, 'savePath must be an absolute path');
    if (!this.byName.has(name) && this.byName.size >= MAX_CATEGORIES) throw new ServiceError(409, `the daemon keeps at most ${MAX_CATEGORIES} categories`);
    const c = { name, savePath: resolve(savePath) };
    this.byName.set(name, c);
    await this.save();
    return c;
  }

  async delete(name: string): Promise<void> {
    if (!this.byName.delete(name)) throw new ServiceError(404, `no category ${JSON.stringify(name)}`);
    await this.save();
  }

  private save(): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(this.list(), null, 1));
    const next = this.chain.then(() => writeFileAtomic(this.path, bytes));
    this.chain = next.catch(() => undefined);
    return next;
  }
}
