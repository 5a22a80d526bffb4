// Generated from the Rust side by src-tauri/src/bindings.rs: do not edit.
// Regenerate with: UPDATE_BINDINGS=1 cargo test -p latchkey-app bindings
/* eslint-disable */

import { invoke as TAURI_INVOKE } from "@tauri-apps/api/core";

export type Result<T, E> =
  | { status: "ok"; data: T }
  | { status: "error"; error: E };

async function call<T>(cmd: string, args: Record<string, unknown>): Promise<Result<T, AppError>> {
  try {
    return { status: "ok", data: await TAURI_INVOKE<T>(cmd, args) };
  } catch (e) {
    if (e instanceof Error) throw e;
    return { status: "error", error: e as AppError };
  }
}

export const commands = {
  async getStatus(): Promise<Result<AppStatus, AppError>> {
    return call("get_status", {});
  },
  async setInteractive(mode: InteractiveMode): Promise<Result<AppStatus, AppError>> {
    return call("set_interactive", { mode });
  },
  async setSaveLogin(on: boolean): Promise<Result<AppStatus, AppError>> {
    return call("set_save_login", { on });
  },
  async listTokens(): Promise<Result<Array<TokenSummary>, AppError>> {
    return call("list_tokens", {});
  },
  async revokeToken(id: string): Promise<Result<null, AppError>> {
    return call("revoke_token", { id });
  },
  async clearTokens(): Promise<Result<number, AppError>> {
    return call("clear_tokens", {});
  },
  async enrollTwoFactor(): Promise<Result<Enrollment, AppError>> {
    return call("enroll_two_factor", {});
  },
  async confirmTwoFactor(code: string): Promise<Result<Array<string>, AppError>> {
    return call("confirm_two_factor", { code });
  },
  async disableTwoFactor(): Promise<Result<null, AppError>> {
    return call("disable_two_factor", {});
  },
  async setTwoFactorScope(scope: Scope, on: boolean): Promise<Result<null, AppError>> {
    return call("set_two_factor_scope", { scope, on });
  },
  async listPermissions(): Promise<Result<Array<PermissionInfo>, AppError>> {
    return call("list_permissions", {});
  },
  async createProfile(name: string, copyFrom: string | null): Promise<Result<ProfileSummary, AppError>> {
    return call("create_profile", { name, copyFrom });
  },
  async renameProfile(name: string, newName: string): Promise<Result<null, AppError>> {
    return call("rename_profile", { name, newName });
  },
  async deleteProfile(name: string): Promise<Result<number, AppError>> {
    return call("delete_profile", { name });
  },
  async setProfileEnabled(name: string, enabled: boolean): Promise<Result<null, AppError>> {
    return call("set_profile_enabled", { name, enabled });
  },
  async setPermission(profile: string, permission: Permission, on: boolean): Promise<Result<null, AppError>> {
    return call("set_permission", { profile, permission, on });
  },
  async setDefaultProfile(name: string): Promise<Result<null, AppError>> {
    return call("set_default_profile", { name });
  },
  async setUnattended(profile: string, on: boolean): Promise<Result<null, AppError>> {
    return call("set_unattended", { profile, on });
  },
  async passwordStrength(profile: string, password: string): Promise<Result<Strength, AppError>> {
    return call("password_strength", { profile, password });
  },
  async setPassword(profile: string, password: string): Promise<Result<number, AppError>> {
    return call("set_password", { profile, password });
  },
  async clearPassword(profile: string): Promise<Result<null, AppError>> {
    return call("clear_password", { profile });
  },
  async listAcl(): Promise<Result<AccessList, AppError>> {
    return call("list_acl", {});
  },
  async addAclEntry(fingerprint: string, profiles: Array<string>): Promise<Result<AccessList, AppError>> {
    return call("add_acl_entry", { fingerprint, profiles });
  },
  async removeAclEntry(fingerprint: string): Promise<Result<AccessList, AppError>> {
    return call("remove_acl_entry", { fingerprint });
  },
  async setAcl(on: boolean): Promise<Result<AccessList, AppError>> {
    return call("set_acl", { on });
  },
  async listRequests(): Promise<Result<Array<Request>, AppError>> {
    return call("list_requests", {});
  },
  async answerRequest(id: string, accept: boolean, viewer: string, profile: string, permissions: Array<Permission> | null): Promise<Result<null, AppError>> {
    return call("answer_request", { id, accept, viewer, profile, permissions });
  },
  async knownHosts(): Promise<Result<Array<KnownHost>, AppError>> {
    return call("known_hosts", {});
  },
  async connect(request: ConnectRequest): Promise<Result<SessionInfo, AppError>> {
    return call("connect", { request });
  },
  async sessionInfo(sessionId: string): Promise<Result<SessionInfo, AppError>> {
    return call("session_info", { sessionId });
  },
  async sendInput(sessionId: string, input: InputEvent): Promise<Result<null, AppError>> {
    return call("send_input", { sessionId, input });
  },
  async movePointer(sessionId: string, x: number, y: number): Promise<Result<null, AppError>> {
    return call("move_pointer", { sessionId, x, y });
  },
  async clipboardGet(sessionId: string): Promise<Result<string | null, AppError>> {
    return call("clipboard_get", { sessionId });
  },
  async clipboardSet(sessionId: string, text: string): Promise<Result<null, AppError>> {
    return call("clipboard_set", { sessionId, text });
  },
  async clipboardGetFiles(sessionId: string, dir: string | null): Promise<Result<ClipboardFilesDone, AppError>> {
    return call("clipboard_get_files", { sessionId, dir });
  },
  async clipboardPutFiles(sessionId: string, paths: Array<string>): Promise<Result<ClipboardFilesDone, AppError>> {
    return call("clipboard_put_files", { sessionId, paths });
  },
  async switchDisplay(sessionId: string, id: number): Promise<Result<SessionInfo, AppError>> {
    return call("switch_display", { sessionId, id });
  },
  async systemInfo(sessionId: string): Promise<Result<SystemInfo, AppError>> {
    return call("system_info", { sessionId });
  },
  async startPrint(sessionId: string): Promise<Result<PrintStarted, AppError>> {
    return call("start_print", { sessionId });
  },
  async printJob(sessionId: string, job: number): Promise<Result<null, AppError>> {
    return call("print_job", { sessionId, job });
  },
  async savePrintJob(sessionId: string, job: number, dir: string | null): Promise<Result<string, AppError>> {
    return call("save_print_job", { sessionId, job, dir });
  },
  async setBlockInput(sessionId: string, on: boolean): Promise<Result<boolean, AppError>> {
    return call("set_block_input", { sessionId, on });
  },
  async setPrivacyMode(sessionId: string, on: boolean): Promise<Result<boolean, AppError>> {
    return call("set_privacy_mode", { sessionId, on });
  },
  async setLockOnEnd(sessionId: string, on: boolean): Promise<Result<boolean, AppError>> {
    return call("set_lock_on_end", { sessionId, on });
  },
  async restartHost(sessionId: string): Promise<Result<RestartStarted, AppError>> {
    return call("restart_host", { sessionId });
  },
  async draw(sessionId: string, color: string, points: Array<[number, number]>, arrow: boolean): Promise<Result<number, AppError>> {
    return call("draw", { sessionId, color, points, arrow });
  },
  async clearDrawing(sessionId: string): Promise<Result<null, AppError>> {
    return call("clear_drawing", { sessionId });
  },
  async openFilesWindow(sessionId: string): Promise<Result<null, AppError>> {
    return call("open_files_window", { sessionId });
  },
  async localList(path: string | null): Promise<Result<FileListing, AppError>> {
    return call("local_list", { path });
  },
  async remoteList(sessionId: string, path: string): Promise<Result<FileListing, AppError>> {
    return call("remote_list", { sessionId, path });
  },
  async remoteMkdir(sessionId: string, path: string): Promise<Result<null, AppError>> {
    return call("remote_mkdir", { sessionId, path });
  },
  async startTransfer(sessionId: string, request: TransferRequest): Promise<Result<TransferStarted, AppError>> {
    return call("start_transfer", { sessionId, request });
  },
  async cancelTransfer(sessionId: string, id: number): Promise<Result<null, AppError>> {
    return call("cancel_transfer", { sessionId, id });
  },
  async endSession(sessionId: string): Promise<Result<null, AppError>> {
    return call("end_session", { sessionId });
  },
  async pendingDeepLink(): Promise<Result<LinkOutcome | null, AppError>> {
    return call("pending_deep_link", {});
  },
  async storeProblem(): Promise<Result<StoreProblem | null, AppError>> {
    return call("store_problem", {});
  },
  async chooseSecretStore(choice: StoreChoice): Promise<Result<StoreProblem | null, AppError>> {
    return call("choose_secret_store", { choice });
  },
  async quitApp(): Promise<Result<null, AppError>> {
    return call("quit_app", {});
  },
};

/** Events from the Rust side: name -> payload. */
export type EventPayloads = {
  status_changed: AppStatus;
  requests_changed: Array<Request>;
  deep_link: DeepLink;
  deep_link_refused: Refused;
  session_ended: SessionEnded;
  session_permissions: SessionPermissions;
  notice: Notice;
  store_problem: StoreProblem | null;
  file_transfer: TransferProgress;
  print_arrived: PrintArrived;
};

export const EVENTS = {
  status_changed: "status_changed",
  requests_changed: "requests_changed",
  deep_link: "deep_link",
  deep_link_refused: "deep_link_refused",
  session_ended: "session_ended",
  session_permissions: "session_permissions",
  notice: "notice",
  store_problem: "store_problem",
  file_transfer: "file_transfer",
  print_arrived: "print_arrived",
} as const;

/** Every `ErrorCode` by its Rust name: branch on these, not on strings. */
export const ErrorCode = {
  WrongCredentials: "wrong_credentials",
  SecondFactorRequired: "second_factor_required",
  SecondFactorInvalid: "second_factor_invalid",
  Denied: "denied",
  Throttled: "throttled",
  Protocol: "protocol",
  HostOffline: "host_offline",
  UnknownId: "unknown_id",
  HostKeyChanged: "host_key_changed",
  WeakPassword: "weak_password",
  NoPassword: "no_password",
  NotFound: "not_found",
  Exists: "exists",
  Builtin: "builtin",
  BadInput: "bad_input",
  SecretStore: "secret_store",
  Forbidden: "forbidden",
  Malformed: "malformed",
  Invalid: "invalid",
  UnknownRequest: "unknown_request",
  RequestMismatch: "request_mismatch",
  Unsupported: "unsupported",
  TooLarge: "too_large",
  Permission: "permission",
  SessionEnded: "session_ended",
  Local: "local",
  IsDirectory: "is_directory",
  NotDirectory: "not_directory",
  NoSpace: "no_space",
  Empty: "empty",
} as const satisfies Record<string, ErrorCode>;

/**
 * The access summary on the main window.
 */
export type Access = "attended" | "unattended" | "exclusive";

/**
 * The list and whether it is enforced.
 */
export type AccessList = { 
/**
 * Whether unlisted viewers are refused. Off on a fresh install.
 */
enabled: boolean, 
/**
 * The listed viewers, in the order they were added.
 */
entries: Array<AclEntry>, };

/**
 * One listed viewer.
 */
export type AclEntry = { 
/**
 * The viewer's device key fingerprint, canonical (`ABCD-EFGH-IJKL-MNOP`).
 */
fingerprint: string, 
/**
 * The profiles it may ask for; empty means any.
 */
profiles: Array<string>, };

/**
 * What went wrong, as the UI receives it.
 */
export type AppError = { 
/**
 * Stable, snake_case: `wrong_credentials`, `host_key_changed`, `weak_password`, ...
 */
code: ErrorCode, 
/**
 * For people.
 */
message: string, 
/**
 * For `throttled`: seconds to wait.
 */
retry_after_s: number | null, 
/**
 * For `host_key_changed`: the remembered fingerprint.
 */
expected: string | null, 
/**
 * For `host_key_changed`: the fingerprint the host presented.
 */
got: string | null, };

/**
 * Everything the main window and the tray show.
 */
export type AppStatus = { 
/**
 * Whether the host is reachable now.
 */
online: Reachability, 
/**
 * Why not, when offline.
 */
offline_reason: string | null, 
/**
 * The rendezvous server in use.
 */
rendezvous: string | null, 
/**
 * Who runs the host.
 */
host_mode: HostMode, 
/**
 * How someone gets in without sitting here.
 */
access: Access, 
/**
 * This device's key fingerprint.
 */
fingerprint: string, 
/**
 * This device's ID (9 digits), once a rendezvous server gave it one.
 */
device_id: string | null, 
/**
 * Interactive mode.
 */
interactive: InteractiveMode, 
/**
 * Whether viewers may save login information.
 */
save_login: boolean, 
/**
 * 2FA state.
 */
two_factor: TwoFactorStatus, 
/**
 * Default profile name.
 */
default_profile: string, 
/**
 * Number of live tokens.
 */
tokens: number, 
/**
 * Every profile.
 */
profiles: Array<ProfileSummary>, 
/**
 * Where the secrets are kept (`keyring` or `file`).
 */
secret_store: string, 
/**
 * The configuration directory.
 */
config_dir: string, };

/**
 * What a paste or a copy did.
 */
export type ClipboardFilesDone = { 
/**
 * The files and folders: here (`clipboard_get_files`) or on the host.
 */
paths: Array<string>, 
/**
 * Files copied (folders counted by what they hold).
 */
files: number, 
/**
 * Their bytes.
 */
bytes: number, 
/**
 * Whether this computer's clipboard now offers them (a paste only).
 */
on_local_clipboard: boolean, };

/**
 * What the connect prompts send.
 */
export type ConnectRequest = { 
/**
 * The host's ID, as typed (spaces and dashes allowed).
 */
host_id: string, 
/**
 * A profile to ask for (default: the host's default).
 */
profile: string | null, 
/**
 * The profile's password, when logging in unattended.
 */
password: string | null, 
/**
 * A 2FA code or recovery code, when the host asked for one.
 */
totp: string | null, 
/**
 * Log in automatically from now on (ask for a saved login).
 */
remember: boolean, 
/**
 * The person accepted a changed host key.
 */
accept_new_host_key: boolean, };

/**
 * Payload of [`DEEP_LINK`].
 */
export type DeepLink = { 
/**
 * The host's ID (9 digits).
 */
host_id: string, 
/**
 * The profile the link asks for.
 */
profile: string | null, };

/**
 * Which way a copy goes.
 */
export type Direction = "upload" | "download";

/**
 * One monitor as the windowing system reports it.
 */
export type DisplayInfo = { 
/**
 * Stable id for the life of the X session (the RandR output/CRTC id); pass it to [`Capturer::open`].
 */
id: number, 
/**
 * Output name, e.g. `screen` under Xvfb or `HDMI-1`.
 */
name: string, 
/**
 * Left edge in root-window coordinates; pointer events for this display add it.
 */
x: number, 
/**
 * Top edge in root-window coordinates.
 */
y: number, 
/**
 * Width in pixels.
 */
width: number, 
/**
 * Height in pixels.
 */
height: number, 
/**
 * Whether the windowing system calls this the primary monitor.
 */
primary: boolean, };

/**
 * A 2FA enrolment, shown once.
 */
export type Enrollment = { 
/**
 * `otpauth://` URI.
 */
uri: string, 
/**
 * The secret in base32, for typing by hand.
 */
secret_base32: string, 
/**
 * QR code of the URI (SVG markup; the UI shows it as an image).
 */
qr_svg: string, };

/**
 * Why something failed, for a program: stable snake_case names on the wire.
 */
export type ErrorCode = "wrong_credentials" | "second_factor_required" | "second_factor_invalid" | "denied" | "throttled" | "protocol" | "host_offline" | "unknown_id" | "host_key_changed" | "weak_password" | "no_password" | "not_found" | "exists" | "builtin" | "bad_input" | "secret_store" | "forbidden" | "malformed" | "invalid" | "unknown_request" | "request_mismatch" | "unsupported" | "too_large" | "permission" | "session_ended" | "local" | "is_directory" | "not_directory" | "no_space" | "empty";

/**
 * One row of a pane.
 */
export type FileItem = { 
/**
 * Its name.
 */
name: string, 
/**
 * What it is.
 */
kind: FileKind, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * Modified, seconds since the Unix epoch.
 */
mtime: number, };

/**
 * What a pane lists.
 */
export type FileKind = "file" | "dir" | "symlink" | "other";

/**
 * A folder as a pane shows it.
 */
export type FileListing = { 
/**
 * The folder (this computer's: absolute; the host's: `~`, `~/a`, `/a`).
 */
path: string, 
/**
 * The folder above it, if any.
 */
parent: string | null, 
/**
 * Its entries: folders first, then by name.
 */
entries: Array<FileItem>, };

/**
 * The processor.
 */
export type HostCpu = { 
/**
 * Model name.
 */
model: string, 
/**
 * Logical cores (what `nproc --all` counts).
 */
logical_cores: number, 
/**
 * Physical cores, when known.
 */
physical_cores: number | null, 
/**
 * Load average over 1, 5 and 15 minutes.
 */
load: [number, number, number], };

/**
 * One mounted disk.
 */
export type HostDisk = { 
/**
 * Where it is mounted.
 */
mount: string, 
/**
 * The file system type (`ext4`).
 */
filesystem: string, 
/**
 * Size in bytes.
 */
total: number, 
/**
 * Bytes available to unprivileged users.
 */
free: number, };

/**
 * One monitor.
 */
export type HostDisplay = { 
/**
 * Its output name (`HDMI-1`).
 */
name: string, 
/**
 * Width in pixels.
 */
width: number, 
/**
 * Height in pixels.
 */
height: number, 
/**
 * Left edge on the desktop.
 */
x: number, 
/**
 * Top edge on the desktop.
 */
y: number, 
/**
 * Whether it is the primary monitor.
 */
primary: boolean, };

/**
 * One network interface.
 */
export type HostInterface = { 
/**
 * Its name (`eth0`).
 */
name: string, 
/**
 * Its hardware address (`00:00:00:00:00:00` for loopback).
 */
mac: string, 
/**
 * Its addresses with prefix length (`192.168.1.20/24`, `fe80::1/64`).
 */
addresses: Array<string>, };

/**
 * Memory and swap, in bytes.
 */
export type HostMemory = { 
/**
 * Total memory (`MemTotal`).
 */
total: number, 
/**
 * Memory available to new programs (`MemAvailable`).
 */
available: number, 
/**
 * Total swap.
 */
swap_total: number, 
/**
 * Free swap.
 */
swap_free: number, };

/**
 * Who runs the host on this machine.
 */
export type HostMode = "in_app" | "service" | "off";

/**
 * The operating system.
 */
export type HostOs = { 
/**
 * Its name (`Debian GNU/Linux`).
 */
name: string, 
/**
 * Its version (`12`).
 */
version: string, 
/**
 * Name, version and code name in one (`Debian GNU/Linux 12 (bookworm)`).
 */
pretty: string, 
/**
 * The processor architecture (`x86_64`).
 */
arch: string, };

/**
 * One logged-in user.
 */
export type HostUser = { 
/**
 * Login name.
 */
name: string, 
/**
 * Terminal or display (`tty2`, `:0`, `pts/1`).
 */
line: string, 
/**
 * Where from, for a remote login (empty for a local one).
 */
host: string, 
/**
 * Login time, Unix seconds.
 */
since: number, };

/**
 * One input event as it travels from viewer to host (JSON:
 * `{"type":"pointer_move","x":10,"y":20}`, `{"type":"key_down","code":"KeyA"}`, ...).
 */
export type InputEvent = { "type": "pointer_move", 
/**
 * Horizontal position in pixels.
 */
x: number, 
/**
 * Vertical position in pixels.
 */
y: number, } | { "type": "button_down", 
/**
 * Which button.
 */
button: MouseButton, } | { "type": "button_up", 
/**
 * Which button.
 */
button: MouseButton, } | { "type": "wheel", 
/**
 * Horizontal notches.
 */
dx: number, 
/**
 * Vertical notches.
 */
dy: number, } | { "type": "key_down", 
/**
 * E.g. `"KeyA"`, `"Enter"`, `"ShiftLeft"`.
 */
code: string, } | { "type": "key_up", 
/**
 * E.g. `"KeyA"`.
 */
code: string, } | { "type": "text", 
/**
 * The characters; `\n` types Return and `\t` Tab. Other control characters are refused.
 */
text: string, };

/**
 * What happens when someone connects without a credential.
 */
export type InteractiveMode = "always" | "window" | "never";

/**
 * Why the OS keyring cannot be used.
 */
export type KeyringProblem = "no_service" | "locked" | "no_default_collection" | "refused";

/**
 * A host this device met before.
 */
export type KnownHost = { 
/**
 * Its ID (9 digits).
 */
id: string, 
/**
 * Fingerprint of its key.
 */
fingerprint: string, 
/**
 * Whether a saved login for it is kept here.
 */
has_token: boolean, 
/**
 * When its key was first accepted (RFC 3339).
 */
since: string, };

/**
 * What became of a link.
 */
export type LinkOutcome = { 
/**
 * The connect flow to open, when the link was good.
 */
link: DeepLink | null, 
/**
 * Why it was refused, when it was not.
 */
refused: string | null, };

/**
 * How a session was granted.
 */
export type Method = "token" | "password" | "accepted" | "reconnect";

/**
 * A mouse button.
 */
export type MouseButton = "left" | "middle" | "right";

/**
 * Payload of [`NOTICE`].
 */
export type Notice = { 
/**
 * For people.
 */
message: string, 
/**
 * The settings section to show (`security`, `profiles`), if any.
 */
section: string | null, };

/**
 * One thing a remote session may do. Names and order are shared with the CLI and UI.
 */
export type Permission = "hear_sound" | "control_input" | "clipboard" | "clipboard_files" | "block_input" | "restart" | "file_manager" | "lock_on_end" | "system_info" | "print" | "whiteboard" | "tcp_tunnel" | "privacy_mode" | "show_pointer";

/**
 * A permission as the editor shows it.
 */
export type PermissionInfo = { 
/**
 * Its name on the wire.
 */
id: Permission, 
/**
 * A short label.
 */
label: string, 
/**
 * One line on what granting it allows.
 */
description: string, };

/**
 * A set of permissions. Serialized as a list of names in seed order.
 */
export type PermissionSet = Array<"hear_sound" | "control_input" | "clipboard" | "clipboard_files" | "block_input" | "restart" | "file_manager" | "lock_on_end" | "system_info" | "print" | "whiteboard" | "tcp_tunnel" | "privacy_mode" | "show_pointer">;

/**
 * Payload of [`PRINT_ARRIVED`].
 */
export type PrintArrived = { 
/**
 * Which session.
 */
session_id: string, 
/**
 * The job's number in the session (for `print_job`, `save_print_job`).
 */
job: number, 
/**
 * Its title, as the host's printing program gave it.
 */
title: string, 
/**
 * Bytes of PDF.
 */
bytes: number, };

/**
 * The printer the host offers.
 */
export type PrintStarted = { 
/**
 * Its CUPS queue on the host.
 */
queue: string, 
/**
 * What the host's print dialogs show.
 */
description: string, };

/**
 * One profile as `status` and `profile show` report it.
 */
export type ProfileSummary = { 
/**
 * Name.
 */
name: string, 
/**
 * Whether it is one of the four built-ins.
 */
builtin: boolean, 
/**
 * Whether it can be granted.
 */
enabled: boolean, 
/**
 * Whether unattended access is on.
 */
unattended: boolean, 
/**
 * Whether a password is set.
 */
has_password: boolean, 
/**
 * Whether this is the default profile.
 */
default: boolean, 
/**
 * Granted permissions, in seed order.
 */
permissions: PermissionSet, };

/**
 * Whether the host is reachable through the rendezvous.
 */
export type Reachability = "online" | "connecting" | "offline";

/**
 * Payload of [`DEEP_LINK_REFUSED`].
 */
export type Refused = { 
/**
 * Why, for people.
 */
message: string, };

/**
 * A waiting request, with the permissions its profile would grant.
 */
export type Request = { 
/**
 * The permissions of the profile asked for (the most the person can grant).
 */
permissions: PermissionSet, 
/**
 * Handle for accept/deny.
 */
id: string, 
/**
 * Fingerprint of the viewer's device key.
 */
viewer: string, 
/**
 * The name the viewer gave: self-reported, proves nothing.
 */
viewer_name: string, 
/**
 * Whether this device key was seen before.
 */
seen: Seen, 
/**
 * Profile the viewer asked for (or the default).
 */
profile: string, 
/**
 * Source address as the rendezvous saw it.
 */
addr: string | null, 
/**
 * Seconds until it is denied automatically.
 */
expires_in_s: number, };

/**
 * The host is restarting.
 */
export type RestartStarted = { 
/**
 * Seconds the app keeps trying to log back in.
 */
valid_s: number, };

/**
 * Which login the second factor may be waived for.
 */
export type Scope = "tokens" | "reconnect";

/**
 * What the host knows of the viewer's device key before this request: the
 * accept window says it, since the name a viewer gives is only what it
 * calls itself.
 */
export type Seen = "first_request" | "known" | "saved_login";

/**
 * Payload of [`SESSION_ENDED`].
 */
export type SessionEnded = { 
/**
 * Which session.
 */
session_id: string, 
/**
 * Why, for people.
 */
reason: string, };

/**
 * An open session, as its window sees it.
 */
export type SessionInfo = { 
/**
 * Handle for the session commands.
 */
session_id: string, 
/**
 * The host's monitors.
 */
displays: Array<DisplayInfo>, 
/**
 * The id of the one streamed.
 */
display: number, 
/**
 * Where the window reads frames (loopback WebSocket with the session's secret).
 */
frames_url: string, 
/**
 * The host's ID.
 */
host_id: string, 
/**
 * How the session was granted.
 */
method: Method, 
/**
 * Granted profile.
 */
profile: string, 
/**
 * Granted permissions.
 */
permissions: PermissionSet, 
/**
 * Whether a new saved-login token was stored.
 */
token_saved: boolean, };

/**
 * Payload of [`SESSION_PERMISSIONS`].
 */
export type SessionPermissions = { 
/**
 * Which session.
 */
session_id: string, 
/**
 * The permissions now in force.
 */
permissions: PermissionSet, };

/**
 * What the person chose.
 */
export type StoreChoice = "keyring" | "file";

/**
 * What the main window shows instead of the status when the secret store
 * cannot be used.
 */
export type StoreProblem = { 
/**
 * What the app found.
 */
problem: KeyringProblem, 
/**
 * Whether the secrets may go to a file instead: only for a
 * configuration that does not exist yet (an existing one keeps its
 * identity in the keyring; a file would be a new device).
 */
can_use_file: boolean, };

/**
 * The verdict on a password.
 */
export type Strength = { 
/**
 * 0 (trivially guessed) to 4 (very strong). Capped at 1 when a rule refuses it.
 */
score: number, 
/**
 * Whether the policy accepts it.
 */
acceptable: boolean, 
/**
 * Everything the person should read: the refusal reasons first, then advice.
 */
warnings: Array<string>, 
/**
 * Only the reasons it was refused (empty when acceptable).
 */
refusals: Array<string>, };

/**
 * What the host reports about itself.
 */
export type SystemInfo = { 
/**
 * The operating system.
 */
os: HostOs, 
/**
 * Kernel release (`uname -r`).
 */
kernel: string, 
/**
 * Host name.
 */
hostname: string, 
/**
 * The processor.
 */
cpu: HostCpu, 
/**
 * Memory and swap.
 */
memory: HostMemory, 
/**
 * Mounted disks.
 */
disks: Array<HostDisk>, 
/**
 * The monitors of the shared desktop.
 */
displays: Array<HostDisplay>, 
/**
 * Seconds since boot.
 */
uptime_secs: number, 
/**
 * Network interfaces.
 */
interfaces: Array<HostInterface>, 
/**
 * Users logged in (the utmp records of user processes).
 */
users: Array<HostUser>, 
/**
 * The host's Latchkey version.
 */
latchkey_version: string, };

/**
 * One row of `tokens list --json`.
 */
export type TokenSummary = { 
/**
 * Handle for `tokens revoke`.
 */
id: string, 
/**
 * Label given at issue.
 */
label: string, 
/**
 * Profile it logs into.
 */
profile: string, 
/**
 * When it was issued (RFC 3339).
 */
created: string, 
/**
 * When it last logged in (RFC 3339), if ever.
 */
last_used: string | null, 
/**
 * Fingerprint of the device it is bound to.
 */
device: string, };

/**
 * Payload of [`FILE_TRANSFER`].
 */
export type TransferProgress = { 
/**
 * Which session.
 */
session_id: string, 
/**
 * Which copy (from `start_transfer`).
 */
id: number, 
/**
 * The file or folder copied.
 */
name: string, 
/**
 * Which way.
 */
direction: Direction, 
/**
 * Where it is.
 */
state: TransferState, 
/**
 * Bytes copied so far (with what an earlier try left).
 */
sent: number, 
/**
 * Bytes in all (0 until counted).
 */
total: number, 
/**
 * Why it failed.
 */
error: string | null, };

/**
 * A copy the window asks for.
 */
export type TransferRequest = { 
/**
 * Which way.
 */
direction: Direction, 
/**
 * What to copy (a file or a folder), on the side it comes from.
 */
from: string, 
/**
 * The folder it goes into, on the other side.
 */
to_dir: string, };

/**
 * A copy that started.
 */
export type TransferStarted = { 
/**
 * Its id (the `file_transfer` events carry it).
 */
id: number, 
/**
 * The name copied.
 */
name: string, };

/**
 * Where a copy of the file window is.
 */
export type TransferState = "running" | "done" | "failed" | "cancelled";

/**
 * `2fa status --json`.
 */
export type TwoFactorStatus = { 
/**
 * Whether unattended logins need a code.
 */
enabled: boolean, 
/**
 * Whether an enrolment waits for `2fa confirm`.
 */
pending: boolean, 
/**
 * Whether token logins need one too.
 */
apply_to_tokens: boolean, 
/**
 * Whether the reconnect after a remote restart needs one too.
 */
apply_to_reconnect: boolean, 
/**
 * Unused recovery codes.
 */
recovery_codes_left: number, };
