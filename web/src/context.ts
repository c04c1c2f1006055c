/** What every view needs: the API client, the event stream and a way to tell the user something. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.js';
import type { LiveEvents } from './live.js';

export type NoticeKind = 'error' | 'info';

export interface AppServices {
  readonly api: Api;
  readonly live: LiveEvents;
  notify(kind: NoticeKind, text: string): void;
}

export const Services = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(Services);
  if (!s) throw new Error('useServices outside <Services.Provider>');
  return s;
}
