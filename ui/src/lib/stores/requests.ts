// Incoming requests for the accept window, each with a fixed deadline computed when it was
// first seen (later lists may repeat a request with a smaller `expires_in_s`; the earliest
// deadline wins so the countdown never jumps back).
import { writable, type Readable } from 'svelte/store';
import { api, toAppError, type AppError, type RequestInfo } from '../api';
import { onRequestsChanged, onStatusChanged, type UnlistenFn } from '../events';

export interface PendingRequest {
  info: RequestInfo;
  /** Milliseconds since the epoch when it is denied automatically. */
  deadline: number;
}

export interface RequestsState {
  requests: PendingRequest[];
  loaded: boolean;
  error: AppError | null;
}

export interface RequestsDeps {
  load(): Promise<RequestInfo[]>;
  listen(cb: (r: RequestInfo[]) => void): Promise<UnlistenFn>;
  listenStatus(cb: () => void): Promise<UnlistenFn>;
  now(): number;
}

export interface RequestsStore extends Readable<RequestsState> {
  start(): Promise<UnlistenFn>;
  refresh(): Promise<void>;
  apply(list: RequestInfo[]): void;
  /** Drop one locally once answered (the backend's next list confirms it). */
  remove(id: string): void;
}

export function createRequestsStore(
  deps: RequestsDeps = {
    load: api.listRequests,
    listen: onRequestsChanged,
    listenStatus: (cb) => onStatusChanged(() => cb()),
    now: () => Date.now(),
  },
): RequestsStore {
  const store = writable<RequestsState>({ requests: [], loaded: false, error: null });
  const deadlines = new Map<string, number>();
  const answered = new Set<string>();
  let version = 0;

  const apply = (list: RequestInfo[]) => {
    version++;
    const now = deps.now();
    const ids = new Set(list.map((r) => r.id));
    for (const id of [...deadlines.keys()]) if (!ids.has(id)) deadlines.delete(id);
    const requests = list
      .filter((r) => !answered.has(r.id))
      .map((info) => {
        const fresh = now + info.expires_in_s * 1000;
        const deadline = Math.min(deadlines.get(info.id) ?? fresh, fresh);
        deadlines.set(info.id, deadline);
        return { info, deadline };
      });
    store.set({ requests, loaded: true, error: null });
  };

  const refresh = async () => {
    const mine = ++version;
    try {
      const list = await deps.load();
      if (mine === version) apply(list);
    } catch (e) {
      if (mine === version) store.update((s) => ({ ...s, loaded: true, error: toAppError(e) }));
    }
  };

  return {
    subscribe: store.subscribe,
    apply,
    refresh,
    remove(id) {
      answered.add(id);
      store.update((s) => ({ ...s, requests: s.requests.filter((r) => r.info.id !== id) }));
    },
    async start() {
      const un1 = await deps.listen(apply);
      // A profile disabled from the tray or CLI changes what may be granted: reload.
      const un2 = await deps.listenStatus(() => void refresh());
      await refresh();
      return () => {
        un1();
        un2();
      };
    },
  };
}
