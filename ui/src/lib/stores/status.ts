// This device's status (AppStatus), kept current: loaded once, then replaced by every
// `status_changed` event (tray toggles and CLI edits change settings behind the UI's back)
// and by every command that returns a fresh status.
import { writable, type Readable } from 'svelte/store';
import { api, toAppError, type AppError, type AppStatus } from '../api';
import { onStatusChanged, type UnlistenFn } from '../events';

export interface StatusState {
  status: AppStatus | null;
  loading: boolean;
  error: AppError | null;
}

export interface StatusDeps {
  load(): Promise<AppStatus>;
  listen(cb: (s: AppStatus) => void): Promise<UnlistenFn>;
}

export interface StatusStore extends Readable<StatusState> {
  /** Listen for changes, then load; returns the function that stops listening. */
  start(): Promise<UnlistenFn>;
  refresh(): Promise<void>;
  /** Take a status a command returned. */
  apply(status: AppStatus): void;
  /** Observers told of every new status (other stores refresh their lists on it). */
  onChange(cb: (s: AppStatus) => void): () => void;
}

export function createStatusStore(
  deps: StatusDeps = { load: api.getStatus, listen: onStatusChanged },
): StatusStore {
  const store = writable<StatusState>({ status: null, loading: true, error: null });
  const observers = new Set<(s: AppStatus) => void>();
  // A load that started before an event must not overwrite the event's newer status.
  let version = 0;

  const apply = (status: AppStatus) => {
    version++;
    store.set({ status, loading: false, error: null });
    for (const cb of observers) cb(status);
  };

  const refresh = async () => {
    const mine = ++version;
    try {
      const s = await deps.load();
      if (mine === version) apply(s);
    } catch (e) {
      if (mine === version) store.update((st) => ({ ...st, loading: false, error: toAppError(e) }));
    }
  };

  return {
    subscribe: store.subscribe,
    apply,
    refresh,
    onChange(cb) {
      observers.add(cb);
      return () => observers.delete(cb);
    },
    async start() {
      const unlisten = await deps.listen(apply);
      await refresh();
      return unlisten;
    },
  };
}

/** The one status store of this window. */
export const statusStore = createStatusStore();
