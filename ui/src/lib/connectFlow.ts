// The connect flow of the main window as a small state machine: which prompt is showing and
// what the next attempt sends. Screens render `state`; the methods are what people click.
import { writable, type Readable } from 'svelte/store';
import { ErrorCode, toAppError, type AppError, type ConnectRequest, type SessionInfo } from './api';
import { describeConnectError, type ErrorText } from './errors';

export type FlowState =
  | { step: 'idle' }
  /** A request is on its way (the remote person may be looking at an accept window). */
  | { step: 'connecting'; request: ConnectRequest }
  /** Ask for the profile password; `error` says why we ask again. */
  | { step: 'password'; request: ConnectRequest; error: ErrorText | null }
  /** Ask for the 2FA code; `error` says why we ask again. */
  | { step: 'totp'; request: ConnectRequest; error: ErrorText | null }
  /** The host's key changed: show both fingerprints, let the person decide. */
  | {
      step: 'host_key';
      request: ConnectRequest;
      expected: string | null;
      got: string | null;
      error: ErrorText;
    }
  /** A refusal with nothing to type; `retryAt` (ms since epoch) when throttled. */
  | { step: 'failed'; request: ConnectRequest; error: ErrorText; retryAt: number | null }
  | { step: 'connected'; session: SessionInfo; request: ConnectRequest };

export function newRequest(hostId: string, profile: string | null): ConnectRequest {
  return {
    host_id: hostId,
    profile: profile && profile.trim() ? profile.trim() : null,
    password: null,
    totp: null,
    remember: false,
    accept_new_host_key: false,
  };
}

/** Where a refused attempt leads. */
export function stateAfterError(request: ConnectRequest, e: AppError, nowMs: number): FlowState {
  const error = describeConnectError(e);
  switch (e.code) {
    case ErrorCode.WrongCredentials:
      return { step: 'password', request: { ...request, password: null, totp: null }, error };
    case ErrorCode.SecondFactorRequired:
      return { step: 'totp', request: { ...request, totp: null }, error: null };
    case ErrorCode.SecondFactorInvalid:
      return { step: 'totp', request: { ...request, totp: null }, error };
    case ErrorCode.HostKeyChanged:
      return { step: 'host_key', request, expected: e.expected, got: e.got, error };
    case ErrorCode.Throttled:
      return {
        step: 'failed',
        request,
        error,
        retryAt: e.retry_after_s != null ? nowMs + e.retry_after_s * 1000 : null,
      };
    default:
      return { step: 'failed', request, error, retryAt: null };
  }
}

export interface ConnectFlow extends Readable<FlowState> {
  /** Connect with a saved login or by asking the remote person (`withPassword`: ask for the password first). */
  start(hostId: string, profile: string | null, withPassword?: boolean): Promise<void>;
  submitPassword(password: string, remember: boolean): Promise<void>;
  submitTotp(code: string): Promise<void>;
  /** "I trust this change, connect anyway". */
  trustHostKey(): Promise<void>;
  retry(): Promise<void>;
  /** Ask for the password after a refusal (e.g. "denied"). */
  usePassword(): void;
  /** Close every prompt; a late answer to an abandoned attempt is ignored. */
  cancel(): void;
  /** Back to idle after a session ended (keeps nothing). */
  reset(): void;
  current(): FlowState;
}

export function createConnectFlow(
  connect: (request: ConnectRequest) => Promise<SessionInfo>,
  now: () => number = Date.now,
): ConnectFlow {
  let state: FlowState = { step: 'idle' };
  const store = writable<FlowState>(state);
  let generation = 0;
  const set = (s: FlowState) => {
    state = s;
    store.set(s);
  };

  async function attempt(request: ConnectRequest): Promise<void> {
    const mine = ++generation;
    set({ step: 'connecting', request });
    try {
      const session = await connect(request);
      if (mine !== generation) return;
      set({ step: 'connected', session, request: { ...request, password: null, totp: null } });
    } catch (e) {
      if (mine !== generation) return;
      set(stateAfterError(request, toAppError(e), now()));
    }
  }

  const requestOf = (): ConnectRequest | null =>
    state.step === 'idle' || state.step === 'connected' ? null : state.request;

  return {
    subscribe: store.subscribe,
    current: () => state,
    async start(hostId, profile, withPassword = false) {
      const request = newRequest(hostId, profile);
      if (withPassword) {
        generation++;
        set({ step: 'password', request, error: null });
        return;
      }
      await attempt(request);
    },
    async submitPassword(password, remember) {
      const r = requestOf();
      if (!r) return;
      await attempt({ ...r, password, remember, totp: null });
    },
    async submitTotp(code) {
      const r = requestOf();
      if (!r) return;
      await attempt({ ...r, totp: code });
    },
    async trustHostKey() {
      const r = requestOf();
      if (!r) return;
      await attempt({ ...r, accept_new_host_key: true });
    },
    async retry() {
      const r = requestOf();
      if (!r) return;
      await attempt({ ...r, totp: null });
    },
    usePassword() {
      const r = requestOf();
      if (!r) return;
      generation++;
      set({ step: 'password', request: { ...r, password: null, totp: null }, error: null });
    },
    cancel() {
      generation++;
      set({ step: 'idle' });
    },
    reset() {
      generation++;
      set({ step: 'idle' });
    },
  };
}
