/**
 * What a user does to one torrent beyond pause/resume/remove: add a peer by hand, recheck,
 * reannounce, edit trackers, move its data, rename it or a file, set its category and
 * seeding limits. The service (service.ts) hands these a `ManageHost`: its entries, its run
 * context and its download queue.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { rm } from 'node:fs/promises';
import { resumePathFor } from '../../session/session.js';
import { ServiceError, type TorrentPatch, type TrackerTiers } from '../types.js';
import type { Categories } from './categories.js';
import { parseNewPath, renameOnDisk, withRenames } from './file-rename.js';
import { moveTorrentData } from './move-data.js';
import { startEntry, stopEntry, type RunContext } from './runner.js';
import { prepareSavePath } from './save-path.js';
import { MAX_SEED_RATIO, MAX_SEED_TIME_S } from './settings.js';
import { Slots } from './slots.js';
import type { TorrentEntry } from './torrent-entry.js';
import { announceNow, checkTiers, resetTrackerStatus, restartAnnouncer, tiersOf } from './trackers.js';

export interface ManageHost {
  readonly ctx: RunContext;
  readonly stateDir: string;
  readonly categories: Categories;
  get(id: string): TorrentEntry;
  /** Re-plan the download queue soon (start or stop swarms to match). */
  requestPlan(): void;
  /** Look the torrent up in the DHT now. */
  dhtNow(entry: TorrentEntry): void;
}

/** Full rechecks hashing at once per daemon; the others wait (state 'checking') for a slot. */
export const MAX_CONCURRENT_RECHECKS = 2;
const recheckSlots = new WeakMap<RunContext, Slots>();

/** The daemon's recheck slots (one set per service, keyed by its run context). */
export function rechecksOf(ctx: RunContext): Slots {
  let s = recheckSlots.get(ctx);
  if (!s) recheckSlots.set(ctx, (s = new Slots(MAX_CONCURRENT_RECHECKS)));
  return s;
}

/** Longest display name. */
export const MAX_DISPLAY_NAME = 1024;

/** `host:port`, `[v6]:port` or `name:port` → the address to dial (a name is resolved). */
export async function resolvePeerAddress(text: string): Promise<{ host: string; port: number }> {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new ServiceError(400, 'address must be HOST:PORT (IPv4, [IPv6]:PORT or a name) with a port from 1 to 65535');
  const host = m[1];
  if (isIP(host) !== 0) return { host, port };
  if (text.startsWith('[')) throw new ServiceError(400, `not an IPv6 address: ${host}`);
  try {
    return { host: (await lookup(host)).address, port };
  } catch (e) {
    throw new ServiceError(400, `cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function idle(e: TorrentEntry): void {
  if (e.moving) throw new ServiceError(409, 'its data is being moved');
  if (e.rechecking) throw new ServiceError(409, 'it is being rechecked');
}

export async function addPeer(h: ManageHost, id: string, address: string): Promise<void> {
  const e = h.get(id);
  const peer = await resolvePeerAddress(address);
  if (!e.swarm) throw new ServiceError(409, `the torrent is not running (${e.state}); resume it first`);
  e.swarm.addPeer(peer, 'manual');
}

/** Stops the swarm, forgets the resume data and starts it again, so every piece is hashed; state 'checking' throughout. */
export function recheck(h: ManageHost, id: string): void {
  const e = h.get(id);
  idle(e);
  const t = e.metadata();
  if (!t) throw new ServiceError(409, 'a recheck needs the torrent\'s metadata');
  e.rechecking = true;
  e.error = undefined;
  e.touch();
  void (async () => {
    let release: (() => void) | undefined;
    try {
      await stopEntry(h.ctx, e);
      await rm(resumePathFor(h.stateDir, t, e.record.savePath), { force: true });
      e.forgetHave();
      // Starting hashes every piece: a few torrents at a time, whatever a bulk recheck asks for.
      release = await rechecksOf(h.ctx).acquire();
      if (!isCurrent(h, e)) return; // removed while it waited
      await startEntry(h.ctx, e);
      h.ctx.log(`torrent ${e.id}: rechecked, ${e.have()?.count ?? 0} of ${t.pieceCount} pieces good`);
    } finally {
      release?.();
      e.rechecking = false;
      h.ctx.changed(e);
      h.requestPlan(); // a paused or queued torrent stops again
    }
  })();
}

function isCurrent(h: ManageHost, e: TorrentEntry): boolean {
  try {
    return h.get(e.id) === e;
  } catch {
    return false;
  }
}

export function reannounce(h: ManageHost, id: string): void {
  const e = h.get(id);
  if (!e.swarm) throw new ServiceError(409, `the torrent is not running (${e.state}); resume it first`);
  announceNow(e);
  h.dhtNow(e);
}

export function trackers(h: ManageHost, id: string): TrackerTiers {
  const e = h.get(id);
  return tiersOf(e, e.metadata(), undefined).map((t) => [...t]);
}

export async function setTrackers(h: ManageHost, id: string, tiers: unknown): Promise<TrackerTiers> {
  const e = h.get(id);
  const checked = checkTiers(tiers);
  e.record.trackers = checked;
  await h.ctx.store.put(e.record);
  if (e.swarm) void restartAnnouncer(e);
  else resetTrackerStatus(e, checked, 'idle');
  return checked;
}

/** Starts moving the data to `savePath` (checked first: 400 if it cannot be written); the move itself runs in the background, state 'moving'. */
export async function move(h: ManageHost, id: string, savePath: string): Promise<void> {
  const e = h.get(id);
  idle(e);
  const dest = await prepareSavePath(savePath, 'savePath');
  if (dest === e.record.savePath) return;
  idle(e); // a second request while we checked the path
  e.moving = true;
  h.ctx.changed(e);
  void (async () => {
    const old = e.record.savePath;
    try {
      await stopEntry(h.ctx, e); // all of it: no write may land in the old place after the move
      const t = e.metadata();
      if (t) await moveTorrentData(t, old, dest, [{ from: resumePathFor(h.stateDir, t, old), to: resumePathFor(h.stateDir, t, dest) }]);
      e.record.savePath = dest;
      e.error = undefined;
      await h.ctx.store.put(e.record);
      h.ctx.log(`torrent ${e.id}: moved from ${old} to ${dest}`);
    } catch (err) {
      e.error = (err as Error).message;
      h.ctx.log(`torrent ${e.id}: ${e.error}`);
    } finally {
      e.moving = false;
      h.ctx.changed(e);
      h.requestPlan();
    }
  })();
}

function seedLimit(value: unknown, name: string, max: number, integer: boolean): number | null {
  if (value === null || value === -1) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max || (integer && !Number.isSafeInteger(value))) {
    throw new ServiceError(400, `${name} must be null (the global setting), -1 (none) or ${integer ? 'whole seconds' : 'a number'} from 0 to ${max}`);
  }
  return value;
}

/** PATCH /api/torrents/:id: category, own seeding limits, display name. */
export async function patchTorrent(h: ManageHost, id: string, patch: TorrentPatch): Promise<void> {
  const e = h.get(id);
  const r = e.record;
  // Everything is checked before anything changes.
  if (patch.category !== undefined && patch.category !== '' && !h.categories.get(patch.category)) throw new ServiceError(400, `no category ${JSON.stringify(patch.category)}; create it with PUT /api/categories/:name`);
  const ratio = patch.seedRatioLimit === undefined ? undefined : seedLimit(patch.seedRatioLimit, 'seedRatioLimit', MAX_SEED_RATIO, false);
  const time = patch.seedTimeLimit === undefined ? undefined : seedLimit(patch.seedTimeLimit, 'seedTimeLimit', MAX_SEED_TIME_S, true);
  if (patch.name !== undefined) {
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (typeof patch.name !== 'string' || patch.name.trim() === '' || patch.name.length > MAX_DISPLAY_NAME || /[\u0000-\u001f\u007f]/.test(patch.name)) {
      throw new ServiceError(400, `name must be 1 to ${MAX_DISPLAY_NAME} characters, not blank, without control characters`);
    }
  }
  if (patch.category !== undefined) r.category = patch.category === '' ? undefined : patch.category;
  if (ratio !== undefined) r.seedRatioLimit = ratio;
  if (time !== undefined) r.seedTimeLimit = time;
  if (patch.name !== undefined) {
    r.name = patch.name;
    r.customName = true;
  }
  await h.ctx.store.put(r);
  h.ctx.changed(e);
}

/** Renames file `index` (on disk too); the swarm stops around it and starts again. */
export async function renameFile(h: ManageHost, id: string, index: number, path: string): Promise<void> {
  const e = h.get(id);
  idle(e);
  const to = parseNewPath(path);
  const t = e.metadata();
  if (!t) throw new ServiceError(409, 'renaming a file needs the torrent\'s metadata');
  e.moving = true; // keeps the queue from starting it meanwhile
  try {
    await stopEntry(h.ctx, e);
    await renameOnDisk(t, e.record.savePath, index, to);
    const renames = { ...e.record.renames, [String(index)]: to };
    e.record.renames = renames;
    e.torrent = withRenames(t, renames);
    await h.ctx.store.put(e.record);
  } finally {
    e.moving = false;
    h.ctx.changed(e);
    h.requestPlan();
  }
}

/** One priority per file index (0..7); applied to a running swarm at once, saved with the torrent. */
export function setFilePriorities(h: ManageHost, id: string, priorities: readonly { readonly index: number; readonly priority: number }[]): void {
  const e = h.get(id);
  const t = e.metadata();
  if (!t) throw new ServiceError(409, 'file priorities need the torrent metadata');
  const files = t.layout.files.filter((f) => !f.pad).length;
  const next = e.record.priorities ? [...e.record.priorities] : new Array<number>(files).fill(1);
  for (const { index, priority } of priorities) {
    if (!Number.isInteger(index) || index < 0 || index >= files) throw new ServiceError(404, `no file ${index}`);
    if (!Number.isInteger(priority) || priority < 0 || priority > 7) throw new ServiceError(400, 'priority must be 0..7');
    next[index] = priority;
  }
  e.record.priorities = next;
  if (e.swarm?.status().ready) {
    e.swarm.setFilePriorities(next);
    if (e.record.complete && !e.swarm.status().complete) e.record.complete = false; // a skipped file is wanted again
  }
  void h.ctx.store.put(e.record).catch(() => undefined);
  e.touch();
  h.requestPlan();
}

/** Deletes a category; its torrents become uncategorised (their data stays where it is). */
export async function deleteCategory(h: ManageHost, entries: Iterable<TorrentEntry>, name: string): Promise<void> {
  await h.categories.delete(name);
  const changed = [...entries].filter((e) => e.record.category === name);
  for (const e of changed) {
    e.record.category = undefined;
    e.touch();
  }
  await Promise.all(changed.map((e) => h.ctx.store.put(e.record)));
}
