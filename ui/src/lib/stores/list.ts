// A list loaded from the backend (saved logins, known hosts, permissions...): value, loading
// flag, last error, and `refresh`. Overlapping refreshes keep only the newest answer.
import { writable, type Readable } from 'svelte/store';
import { toAppError, type AppError } from '../api';

export interface ListState<T> {
  items: T[];
  loaded: boolean;
  error: AppError | null;
}

export interface ListStore<T> extends Readable<ListState<T>> {
  refresh(): Promise<void>;
  set(items: T[]): void;
}

export function createListStore<T>(load: () => Promise<T[]>): ListStore<T> {
  const store = writable<ListState<T>>({ items: [], loaded: false, error: null });
  let version = 0;
  return {
    subscribe: store.subscribe,
    set(items) {
      version++;
      store.set({ items, loaded: true, error: null });
    },
    async refresh() {
      const mine = ++version;
      try {
        const items = await load();
        if (mine === version) store.set({ items, loaded: true, error: null });
      } catch (e) {
        if (mine === version) store.update((s) => ({ ...s, loaded: true, error: toAppError(e) }));
      }
    },
  };
}
