/**
 * The torrent list: one page at a time from the API (filtered, searched and sorted on the
 * daemon), so 10,000 torrents cost no more than the page shown. Rows on the page are
 * updated in place from the event stream; additions, removals and rows leaving the
 * filter re-fetch the page (at most twice a second).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { TORRENT_STATES } from '../../src/daemon/types.js';
import type { ListQuery, TorrentState } from '../../src/daemon/types.js';
import { errorMessage, type Page } from './api.js';
import type { Stats, Summary } from './api-types.js';
import { BulkBar } from './bulk-bar.js';
import { useCategories } from './categories.js';
import { useServices } from './context.js';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.js';
import { Progress, STATE_LABELS, StateBadge, TorrentActions } from './widgets.js';

type SortKey = NonNullable<ListQuery['sort']>;
/** A category name; '' is every torrent, NO_CATEGORY the ones without a category. */
const ALL_CATEGORIES = '', NO_CATEGORY = '\u0000none';

interface Query {
  readonly state: TorrentState | '';
  readonly category: string;
  readonly search: string;
  readonly sort: SortKey;
  readonly order: 'asc' | 'desc';
  readonly offset: number;
  readonly limit: number;
}

const PAGE_SIZES = [25, 50, 100, 200];
const SORTS: readonly [SortKey, string][] = [
  ['addedAt', 'Added'], ['name', 'Name'], ['progress', 'Progress'], ['downloadRate', 'Download rate'],
  ['uploadRate', 'Upload rate'], ['size', 'Size'],
];
/** Sorting by these goes stale as the numbers move, so the page is re-fetched now and then. */
const LIVE_SORTS = new Set<SortKey>(['progress', 'downloadRate', 'uploadRate']);
const FLUSH_MS = 200, REFETCH_MS = 500, LIVE_SORT_REFETCH_MS = 3000;

// Kept across visits to a torrent's view, so "back" returns to the same page.
let lastQuery: Query = { state: '', category: ALL_CATEGORIES, search: '', sort: 'addedAt', order: 'desc', offset: 0, limit: 50 };

export function TorrentList({ stats }: { stats: Stats | null }) {
  const { api, live } = useServices();
  const [query, setQueryState] = useState<Query>(lastQuery);
  const [searchText, setSearchText] = useState(query.search);
  const [page, setPage] = useState<Page | null>(null);
  const [selection, setSelection] = useState<ReadonlySet<string>>(new Set());
  const { categories } = useCategories();
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const shown = useRef(new Set<string>());
  const setQuery = (patch: Partial<Query>) => setQueryState((q) => (lastQuery = { ...q, offset: 0, ...patch }));

  // Search as you type, once typing pauses.
  useEffect(() => {
    if (searchText === query.search) return;
    const t = setTimeout(() => setQuery({ search: searchText }), 250);
    return () => clearTimeout(t);
  }, [searchText]);

  useEffect(() => {
    let current = true;
    const { state, search, category, ...rest } = query;
    const categoryParam = category === ALL_CATEGORIES ? {} : { category: category === NO_CATEGORY ? '' : category };
    api.list({ ...rest, ...categoryParam, ...(state ? { state } : {}), ...(search.trim() ? { search: search.trim() } : {}) }).then((p) => {
      if (!current) return;
      // The page emptied under us (removals): go to the new last page.
      if (p.torrents.length === 0 && p.total > 0 && query.offset > 0) {
        setQuery({ offset: Math.floor((p.total - 1) / query.limit) * query.limit });
        return;
      }
      shown.current = new Set(p.torrents.map((t) => t.infoHash));
      // The selection keeps only torrents still on the page.
      setSelection((sel) => (sel.size === 0 ? sel : new Set([...sel].filter((h) => shown.current.has(h)))));
      setPage(p);
      setLoadError(null);
    }, (e: unknown) => {
      if (current) setLoadError(`Loading torrents: ${errorMessage(e)}`);
    });
    return () => {
      current = false;
    };
  }, [api, query, reload]);

  useEffect(() => {
    const pending = new Map<string, Summary>();
    let flushTimer: number | undefined, refetchTimer: number | undefined;
    const refetch = (delay = REFETCH_MS) => {
      refetchTimer ??= window.setTimeout(() => {
        refetchTimer = undefined;
        setReload((r) => r + 1);
      }, delay);
    };
    const flush = () => {
      flushTimer = undefined;
      const updates = new Map(pending);
      pending.clear();
      setPage((p) => p && { ...p, torrents: p.torrents.map((t) => updates.get(t.infoHash) ?? t) });
    };
    const unsubscribe = live.subscribe((e) => {
      if (e.type === 'torrent-updated') {
        if (!shown.current.has(e.torrent.infoHash)) return;
        if (query.state && e.torrent.state !== query.state) refetch();
        if (LIVE_SORTS.has(query.sort)) refetch(LIVE_SORT_REFETCH_MS);
        pending.set(e.torrent.infoHash, e.torrent);
        flushTimer ??= window.setTimeout(flush, FLUSH_MS);
      } else if (e.type !== 'stats') {
        refetch(); // added, removed, or reconnected after missing events
      }
    });
    return () => {
      unsubscribe();
      clearTimeout(flushTimer);
      clearTimeout(refetchTimer);
    };
  }, [live, query.state, query.sort]);

  // Torrents entering the filtered state (say, a download finishing under "Seeding") are not on
  // the page to be updated; the stats' count for that state says when to look again.
  const filteredCount = query.state && stats ? stats.torrents[query.state] : undefined;
  useEffect(() => {
    if (filteredCount !== undefined && page && !query.search && filteredCount !== page.total) setReload((r) => r + 1);
  }, [filteredCount]);

  const total = page?.total ?? 0;
  const counts = stats?.torrents;
  const allCount = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : undefined;
  return (
    <section class="list card" aria-label="Torrents">
      <div class="filters">
        <input type="search" name="search" placeholder="Search name or info hash" aria-label="Search torrents"
          value={searchText} onInput={(e) => setSearchText(e.currentTarget.value)} />
        <select name="state" aria-label="Filter by state" value={query.state}
          onChange={(e) => setQuery({ state: e.currentTarget.value as TorrentState | '' })}>
          <option value="">All{allCount !== undefined ? ` (${formatCount(allCount)})` : ''}</option>
          {TORRENT_STATES.map((s) => (
            <option key={s} value={s}>{STATE_LABELS[s]}{counts ? ` (${formatCount(counts[s])})` : ''}</option>
          ))}
        </select>
        {categories.length > 0 && (
          <select name="category" aria-label="Filter by category" value={query.category}
            onChange={(e) => setQuery({ category: e.currentTarget.value })}>
            <option value={ALL_CATEGORIES}>All categories</option>
            <option value={NO_CATEGORY}>No category</option>
            {categories.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
          </select>
        )}
        <select name="sort" aria-label="Sort by" value={query.sort} onChange={(e) => setQuery({ sort: e.currentTarget.value as SortKey })}>
          {SORTS.map(([k, label]) => <option key={k} value={k}>{label}</option>)}
        </select>
        <button type="button" aria-label={query.order === 'asc' ? 'Ascending; switch to descending' : 'Descending; switch to ascending'}
          onClick={() => setQuery({ order: query.order === 'asc' ? 'desc' : 'asc' })}>
          {query.order === 'asc' ? '↑' : '↓'}
        </button>
      </div>
      {loadError && <p class="error" role="alert">{loadError}</p>}
      {selection.size > 0 && (
        <BulkBar selected={[...selection]} onDone={() => {
          setSelection(new Set());
          setReload((r) => r + 1);
        }} onClear={() => setSelection(new Set())} />
      )}
      <div class="tlist" role="table" aria-label="Torrent list" aria-rowcount={total}>
        <div class="trow thead" role="row">
          <span role="columnheader" class="c-select">
            <input type="checkbox" aria-label="Select all torrents on this page"
              checked={!!page && page.torrents.length > 0 && page.torrents.every((t) => selection.has(t.infoHash))}
              onChange={(e) => setSelection(e.currentTarget.checked && page ? new Set(page.torrents.map((t) => t.infoHash)) : new Set())} />
          </span>
          <span role="columnheader">Name</span>
          <span role="columnheader">Progress</span>
          <span role="columnheader">State</span>
          <span role="columnheader" class="num">Size</span>
          <span role="columnheader" class="num">Down</span>
          <span role="columnheader" class="num">Up</span>
          <span role="columnheader" class="num">ETA</span>
          <span role="columnheader" class="num">Peers</span>
          <span role="columnheader"><span class="sr-only">Actions</span></span>
        </div>
        {page?.torrents.map((t) => (
          <TorrentRow key={t.infoHash} torrent={t} onRemoved={() => setReload((r) => r + 1)} selected={selection.has(t.infoHash)}
            onSelect={(on) => setSelection((sel) => {
              const next = new Set(sel);
              if (on) next.add(t.infoHash);
              else next.delete(t.infoHash);
              return next;
            })} />
        ))}
      </div>
      {page && page.torrents.length === 0 && (
        <p class="empty">{query.search || query.state || query.category ? 'No torrents match.' : 'No torrents yet: add a magnet link or a .torrent file above.'}</p>
      )}
      {!page && !loadError && <p class="empty">Loading…</p>}
      <Pager total={total} offset={query.offset} limit={query.limit}
        onOffset={(offset) => setQuery({ offset })} onLimit={(limit) => setQuery({ limit })} />
    </section>
  );
}

function TorrentRow({ torrent: t, onRemoved, selected, onSelect }: {
  torrent: Summary; onRemoved: () => void; selected: boolean; onSelect: (on: boolean) => void;
}) {
  const label = t.name || t.infoHash;
  return (
    <div class={`trow state-${t.state}${selected ? ' selected' : ''}`} role="row" data-infohash={t.infoHash} aria-selected={selected}>
      <span class="c-select" role="cell">
        <input type="checkbox" aria-label={`Select ${label}`} checked={selected} onChange={(e) => onSelect(e.currentTarget.checked)} />
      </span>
      <span class="c-name" role="cell">
        <a href={`#/t/${t.infoHash}`} title={t.error ?? t.name}>{label}</a>
        {t.category && <span class="category-tag" title="Category">{t.category}</span>}
        {t.state === 'error' && t.error && <span class="row-error" role="alert">{t.error}</span>}
      </span>
      <span class="c-progress" role="cell"><Progress value={t.progress} state={t.state} /></span>
      <span class="c-state" role="cell"><StateBadge torrent={t} /></span>
      <span class="c-size num" role="cell">{t.size > 0 ? formatBytes(t.size) : '–'}</span>
      <span class="c-down num" role="cell" title="Download rate"><span class="lbl">↓ </span>{formatRate(t.downloadRate)}</span>
      <span class="c-up num" role="cell" title="Upload rate"><span class="lbl">↑ </span>{formatRate(t.uploadRate)}</span>
      <span class="c-eta num" role="cell" title="Time left"><span class="lbl">ETA </span>{formatDuration(t.eta)}</span>
      <span class="c-peers num" role="cell" title="Peers"><span class="lbl">peers </span>{t.peers}</span>
      <span class="c-actions" role="cell"><TorrentActions torrent={t} onRemoved={onRemoved} /></span>
    </div>
  );
}

function Pager({ total, offset, limit, onOffset, onLimit }: {
  total: number; offset: number; limit: number; onOffset: (o: number) => void; onLimit: (l: number) => void;
}) {
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  return (
    <nav class="pager" aria-label="Pages">
      <span>{total === 0 ? '0 torrents' : `${formatCount(offset + 1)}–${formatCount(Math.min(total, offset + limit))} of ${formatCount(total)}`}</span>
      <span class="spacer" />
      <button type="button" disabled={offset === 0} onClick={() => onOffset(0)} aria-label="First page">«</button>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))} aria-label="Previous page">‹</button>
      <button type="button" disabled={offset >= last} onClick={() => onOffset(offset + limit)} aria-label="Next page">›</button>
      <button type="button" disabled={offset >= last} onClick={() => onOffset(last)} aria-label="Last page">»</button>
      <select aria-label="Torrents per page" value={limit} onChange={(e) => onLimit(Number(e.currentTarget.value))}>
        {PAGE_SIZES.map((n) => <option key={n} value={n}>{n} / page</option>)}
      </select>
    </nav>
  );
}
