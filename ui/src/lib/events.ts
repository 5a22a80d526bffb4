// The only module that listens to backend events. The names (`EVENTS`) and payload types
// (`EventPayloads`) come from the generated bindings, so they cannot drift from the Rust side.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import {
  EVENTS,
  type DeepLink,
  type EventPayloads,
  type Notice,
  type PrintArrived,
  type Refused,
  type SessionEnded,
  type SessionPermissions,
  type TransferProgress,
} from '../bindings';

export type { DeepLink, EventPayloads, Notice, PrintArrived, Refused, SessionEnded, SessionPermissions, TransferProgress, UnlistenFn };

/** A backend event's name on the wire. */
export type EventName = keyof EventPayloads;

/** Listen to one backend event; resolves to the function that stops listening. */
export function on<K extends EventName>(name: K, cb: (payload: EventPayloads[K]) => void): Promise<UnlistenFn> {
  return listen<EventPayloads[K]>(EVENTS[name], (event) => cb(event.payload));
}

/** `status_changed`: settings or reachability changed (tray, CLI, another window). */
export const onStatusChanged = (cb: (status: EventPayloads['status_changed']) => void) =>
  on('status_changed', cb);
/** `requests_changed`: the incoming requests waiting for an answer. */
export const onRequestsChanged = (cb: (requests: EventPayloads['requests_changed']) => void) =>
  on('requests_changed', cb);
/** `deep_link`: a latchkey:// link asked to connect; the main window opens the connect flow. */
export const onDeepLink = (cb: (link: EventPayloads['deep_link']) => void) => on('deep_link', cb);
/** `deep_link_refused`: a link was malformed or not allowed. */
export const onDeepLinkRefused = (cb: (info: EventPayloads['deep_link_refused']) => void) =>
  on('deep_link_refused', cb);
/** `session_ended`: a viewer session is over (host ended it, network lost, ...). */
export const onSessionEnded = (cb: (info: EventPayloads['session_ended']) => void) =>
  on('session_ended', cb);
/** `session_permissions`: the host changed a viewer session's permissions (the toolbar follows). */
export const onSessionPermissions = (cb: (info: EventPayloads['session_permissions']) => void) =>
  on('session_permissions', cb);
/** `notice`: something to read in the main window (a refused tray toggle, say), with the section that helps. */
export const onNotice = (cb: (notice: EventPayloads['notice']) => void) => on('notice', cb);
/** `store_problem`: the secret store cannot be used (what was found), or null once it can. */
export const onStoreProblem = (cb: (problem: EventPayloads['store_problem']) => void) =>
  on('store_problem', cb);
/** `file_transfer`: a file window's copy moved on, ended, failed or was cancelled. */
export const onFileTransfer = (cb: (progress: EventPayloads['file_transfer']) => void) =>
  on('file_transfer', cb);
/** `print_arrived`: a job printed on the host to a viewer session's printer arrived (a PDF the app keeps). */
export const onPrintArrived = (cb: (job: EventPayloads['print_arrived']) => void) => on('print_arrived', cb);
