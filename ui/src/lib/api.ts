// The only module that calls the backend's commands.
//
// `src/bindings.ts` is generated from Rust (src-tauri/src/bindings.rs, via ts-rs) and never
// edited by hand; when it is regenerated only this file (and events.ts, for the events) may
// need to adapt. Every call returns the data or throws a `BackendError` carrying a normalised
// `AppError`, so screens can `try`/`catch` one type.
import {
  commands,
  ErrorCode,
  type Access,
  type AccessList,
  type AclEntry,
  type AppError,
  type AppStatus,
  type ConnectRequest,
  type DisplayInfo,
  type Enrollment,
  type FileItem,
  type FileListing,
  type HostMode,
  type InputEvent,
  type InteractiveMode,
  type KnownHost,
  type LinkOutcome,
  type Method,
  type MouseButton,
  type Reachability as Online,
  type Permission,
  type PermissionInfo,
  type ProfileSummary,
  // Renamed: `Request` would shadow the DOM's global `Request` wherever it is imported.
  type Request as BackendRequest,
  type Result,
  type Scope,
  type Seen,
  type SessionInfo,
  type Strength,
  type StoreChoice,
  type StoreProblem,
  type SystemInfo,
  type TokenSummary,
  type TransferRequest,
  type TwoFactorStatus,
} from '../bindings';

export { ErrorCode };

export type {
  AccessList,
  AclEntry,
  AppError,
  AppStatus,
  ConnectRequest,
  DisplayInfo,
  Enrollment,
  FileItem,
  FileListing,
  HostMode,
  InputEvent,
  InteractiveMode,
  KnownHost,
  LinkOutcome,
  MouseButton,
  Permission,
  PermissionInfo,
  ProfileSummary,
  Seen,
  SessionInfo,
  Strength,
  StoreChoice,
  StoreProblem,
  SystemInfo,
  TokenSummary,
  TransferRequest,
  TwoFactorStatus,
};

/** A waiting incoming request (`list_requests`, `requests_changed`): Rust's `Request`. */
export type RequestInfo = BackendRequest;

/** The UI's names for generated types whose Rust names are terse. */
export type OnlineState = Online;
export type AccessSummary = Access;
export type TwoFactorScope = Scope;
export type ConnectMethod = Method;

/** Every permission in the shared seed order (the backend's list_permissions uses the same order). */
export const ALL_PERMISSIONS: readonly Permission[] = [
  'hear_sound',
  'control_input',
  'clipboard',
  'clipboard_files',
  'block_input',
  'restart',
  'file_manager',
  'lock_on_end',
  'system_info',
  'print',
  'whiteboard',
  'tcp_tunnel',
  'privacy_mode',
  'show_pointer',
];

/** A refused command, with the backend's error attached. */
export class BackendError extends Error {
  readonly detail: AppError;
  constructor(detail: AppError) {
    super(detail.message || detail.code);
    this.name = 'BackendError';
    this.detail = detail;
  }
  get code(): ErrorCode {
    return this.detail.code;
  }
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * Whatever a command rejected with, as an `AppError`. The backend sends `AppError` objects;
 * anything else (an IPC failure, a panic message as a plain string) becomes `ErrorCode.Local`.
 */
export function toAppError(e: unknown): AppError {
  if (e instanceof BackendError) return e.detail;
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string') {
    const o = e as Record<string, unknown>;
    return {
      code: o.code as ErrorCode,
      message: typeof o.message === 'string' ? o.message : '',
      retry_after_s: typeof o.retry_after_s === 'number' ? o.retry_after_s : null,
      expected: strOrNull(o.expected),
      got: strOrNull(o.got),
    };
  }
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : String(e);
  return { code: ErrorCode.Local, message, retry_after_s: null, expected: null, got: null };
}

async function unwrap<T>(call: () => Promise<Result<T, AppError>>): Promise<T> {
  let result: Result<T, AppError>;
  try {
    result = await call();
  } catch (e) {
    // The generated wrappers re-throw `Error` instances (IPC failures) instead of returning them.
    throw new BackendError(toAppError(e));
  }
  if (result.status === 'ok') return result.data;
  throw new BackendError(toAppError(result.error));
}

/** The backend, one async function per command. Errors are thrown as `BackendError`. */
export const api = {
  // Host and settings (main window).
  getStatus: () => unwrap(() => commands.getStatus()),
  setInteractive: (mode: InteractiveMode) => unwrap(() => commands.setInteractive(mode)),
  setSaveLogin: (on: boolean) => unwrap(() => commands.setSaveLogin(on)),
  listTokens: () => unwrap(() => commands.listTokens()),
  revokeToken: (id: string) => unwrap(() => commands.revokeToken(id)),
  clearTokens: () => unwrap(() => commands.clearTokens()),
  enrollTwoFactor: () => unwrap(() => commands.enrollTwoFactor()),
  confirmTwoFactor: (code: string) => unwrap(() => commands.confirmTwoFactor(code)),
  disableTwoFactor: () => unwrap(() => commands.disableTwoFactor()),
  setTwoFactorScope: (scope: TwoFactorScope, on: boolean) =>
    unwrap(() => commands.setTwoFactorScope(scope, on)),
  listPermissions: () => unwrap(() => commands.listPermissions()),
  createProfile: (name: string, copyFrom: string | null) =>
    unwrap(() => commands.createProfile(name, copyFrom)),
  renameProfile: (name: string, newName: string) =>
    unwrap(() => commands.renameProfile(name, newName)),
  deleteProfile: (name: string) => unwrap(() => commands.deleteProfile(name)),
  setProfileEnabled: (name: string, enabled: boolean) =>
    unwrap(() => commands.setProfileEnabled(name, enabled)),
  setPermission: (profile: string, permission: Permission, on: boolean) =>
    unwrap(() => commands.setPermission(profile, permission, on)),
  setDefaultProfile: (name: string) => unwrap(() => commands.setDefaultProfile(name)),
  setUnattended: (profile: string, on: boolean) => unwrap(() => commands.setUnattended(profile, on)),
  passwordStrength: (profile: string, password: string) =>
    unwrap(() => commands.passwordStrength(profile, password)),
  setPassword: (profile: string, password: string) =>
    unwrap(() => commands.setPassword(profile, password)),
  clearPassword: (profile: string) => unwrap(() => commands.clearPassword(profile)),
  listAcl: () => unwrap(() => commands.listAcl()),
  addAclEntry: (fingerprint: string, profiles: string[]) =>
    unwrap(() => commands.addAclEntry(fingerprint, profiles)),
  removeAclEntry: (fingerprint: string) => unwrap(() => commands.removeAclEntry(fingerprint)),
  setAcl: (on: boolean) => unwrap(() => commands.setAcl(on)),

  // Incoming requests (accept window).
  listRequests: () => unwrap(() => commands.listRequests()),
  /** Answer a request; `viewer` and `profile` are what the window showed (the host checks them). */
  answerRequest: (id: string, accept: boolean, viewer: string, profile: string, permissions: Permission[] | null) =>
    unwrap(() => commands.answerRequest(id, accept, viewer, profile, permissions)),

  // Viewer (main window prompts and viewer window).
  knownHosts: () => unwrap(() => commands.knownHosts()),
  connect: (request: ConnectRequest) => unwrap(() => commands.connect(request)),
  sessionInfo: (sessionId: string) => unwrap(() => commands.sessionInfo(sessionId)),
  sendInput: (sessionId: string, input: InputEvent) =>
    unwrap(() => commands.sendInput(sessionId, input)),
  movePointer: (sessionId: string, x: number, y: number) =>
    unwrap(() => commands.movePointer(sessionId, x, y)),
  /** The host's clipboard text; null when it holds none. */
  clipboardGet: (sessionId: string) => unwrap(() => commands.clipboardGet(sessionId)),
  clipboardSet: (sessionId: string, text: string) =>
    unwrap(() => commands.clipboardSet(sessionId, text)),
  /** Copy the host's copied files into `dir` (null: Downloads); this computer's clipboard then offers them. */
  clipboardGetFiles: (sessionId: string, dir: string | null) =>
    unwrap(() => commands.clipboardGetFiles(sessionId, dir)),
  /** Copy `paths` (none: the files copied on this computer) to the host's clipboard. */
  clipboardPutFiles: (sessionId: string, paths: string[]) =>
    unwrap(() => commands.clipboardPutFiles(sessionId, paths)),
  /** The host's system information (refused with `permission` without `system_info`). */
  systemInfo: (sessionId: string) => unwrap(() => commands.systemInfo(sessionId)),
  /** Have the host offer a printer for this session (`print`); its jobs arrive as `print_arrived` events. */
  startPrint: (sessionId: string) => unwrap(() => commands.startPrint(sessionId)),
  /** Send a job that arrived to this computer's default printer. */
  printJob: (sessionId: string, job: number) => unwrap(() => commands.printJob(sessionId, job)),
  /** Save a job that arrived in `dir` (null: Downloads); the file's path. */
  savePrintJob: (sessionId: string, job: number, dir: string | null) =>
    unwrap(() => commands.savePrintJob(sessionId, job, dir)),
  /** Block the host's local keyboard and mouse, or give them back (`block_input`); what the host now holds. */
  setBlockInput: (sessionId: string, on: boolean) => unwrap(() => commands.setBlockInput(sessionId, on)),
  /** Blank the host's monitors and block its local input, or undo it (`privacy_mode`). */
  setPrivacyMode: (sessionId: string, on: boolean) => unwrap(() => commands.setPrivacyMode(sessionId, on)),
  /** Whether the host locks its desktop when this session ends (`lock_on_end`: on unless turned off). */
  setLockOnEnd: (sessionId: string, on: boolean) => unwrap(() => commands.setLockOnEnd(sessionId, on)),
  restartHost: (sessionId: string) => unwrap(() => commands.restartHost(sessionId)),
  /** Draw a stroke on the host's screen (`whiteboard`); how many strokes it shows now. */
  draw: (sessionId: string, color: string, points: [number, number][], arrow: boolean) =>
    unwrap(() => commands.draw(sessionId, color, points, arrow)),
  /** Remove every stroke this session drew on the host's screen. */
  clearDrawing: (sessionId: string) => unwrap(() => commands.clearDrawing(sessionId)),

  // File window (opened from the viewer window's toolbar).
  openFilesWindow: (sessionId: string) => unwrap(() => commands.openFilesWindow(sessionId)),
  /** A folder of this computer; null: the home folder. */
  localList: (path: string | null) => unwrap(() => commands.localList(path)),
  /** A folder of the host: `~`, `~/a`, `/a`. */
  remoteList: (sessionId: string, path: string) => unwrap(() => commands.remoteList(sessionId, path)),
  remoteMkdir: (sessionId: string, path: string) => unwrap(() => commands.remoteMkdir(sessionId, path)),
  /** Start a copy; its progress arrives as `file_transfer` events. */
  startTransfer: (sessionId: string, request: TransferRequest) =>
    unwrap(() => commands.startTransfer(sessionId, request)),
  cancelTransfer: (sessionId: string, id: number) => unwrap(() => commands.cancelTransfer(sessionId, id)),
  /** Stream the display with this `DisplayInfo.id`; returns the session as it is now. */
  switchDisplay: (sessionId: string, id: number) => unwrap(() => commands.switchDisplay(sessionId, id)),
  endSession: (sessionId: string) => unwrap(() => commands.endSession(sessionId)),
  pendingDeepLink: () => unwrap(() => commands.pendingDeepLink()),

  // The secret store (main window, when the keyring cannot be used).
  /** What is wrong with the secret store; null when it works. */
  storeProblem: () => unwrap(() => commands.storeProblem()),
  /** Carry out the person's choice; what is still wrong, or null when it works now. */
  chooseSecretStore: (choice: StoreChoice) => unwrap(() => commands.chooseSecretStore(choice)),
  quitApp: () => unwrap(() => commands.quitApp()),
};

export type Api = typeof api;
