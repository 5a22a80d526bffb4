// The only module that listens to backend events. Event names are the wire names the Rust
// side emits; payload types come from the generated bindings where the backend shares them.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AppStatus, RequestInfo } from './api';

export type { UnlistenFn };

/** `deep_link`: a latchkey:// link asked to connect; the main window opens the connect flow. */
export interface DeepLink {
  host_id: string;
  profile: string | null;
}

/** `deep_link_refused`: a link was malformed or not allowed. */
export interface DeepLinkRefused {
  message: string;
}

/** `session_ended`: a viewer session is over (host ended it, network lost, ...). */
export interface SessionEnded {
  session_id: string;
  reason: string;
}

/** `notice`: something to read in the main window (a refused tray toggle, say), with the section that helps. */
export interface Notice {
  message: string;
  section: string | null;
}

export const EVENT_NAMES = {
  statusChanged: 'status_changed',
  requestsChanged: 'requests_changed',
  deepLink: 'deep_link',
  deepLinkRefused: 'deep_link_refused',
  sessionEnded: 'session_ended',
  notice: 'notice',
} as const;

function on<T>(name: string, cb: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (event) => cb(event.payload));
}

export const onStatusChanged = (cb: (status: AppStatus) => void) =>
  on<AppStatus>(EVENT_NAMES.statusChanged, cb);
export const onRequestsChanged = (cb: (requests: RequestInfo[]) => void) =>
  on<RequestInfo[]>(EVENT_NAMES.requestsChanged, cb);
export const onDeepLink = (cb: (link: DeepLink) => void) => on<DeepLink>(EVENT_NAMES.deepLink, cb);
export const onDeepLinkRefused = (cb: (info: DeepLinkRefused) => void) =>
  on<DeepLinkRefused>(EVENT_NAMES.deepLinkRefused, cb);
export const onSessionEnded = (cb: (info: SessionEnded) => void) =>
  on<SessionEnded>(EVENT_NAMES.sessionEnded, cb);
export const onNotice = (cb: (notice: Notice) => void) => on<Notice>(EVENT_NAMES.notice, cb);
