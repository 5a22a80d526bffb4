// An in-memory stand-in for the Rust backend, for the mock build and the e2e tests only.
// It implements every command of src/bindings.ts (generated from src-tauri) with believable
// rules, returns the generated types, rejects with the same AppError codes and messages as
// src-tauri, and emits the same events. Special host IDs trigger each connect error.
import type {
  AccessList,
  AppError,
  AppStatus,
  ConnectRequest,
  DisplayInfo,
  Enrollment,
  ErrorCode,
  EventPayloads,
  InputEvent,
  InteractiveMode,
  KnownHost,
  LinkOutcome,
  Permission,
  PermissionInfo,
  ProfileSummary,
  Request,
  SessionInfo,
  StoreProblem,
  Strength,
  SystemInfo,
  FileItem,
  FileListing,
  TokenSummary,
  TransferProgress,
  TransferRequest,
} from '../src/bindings';
import { EVENTS } from '../src/bindings';

/** How the fake tells the windows something: a generated event name with its payload type. */
export type Emit = <K extends keyof EventPayloads>(event: K, payload: EventPayloads[K]) => void;

export interface MockConfig {
  /** What the frames socket of every session is (the e2e test serves it). */
  framesUrl?: string;
  /** The session that `session_info` returns (viewer window tests). */
  session?: Partial<SessionInfo>;
  requests?: Request[];
  deviceId?: string | null;
  online?: AppStatus['online'];
  /** Why, when `online` is `offline` (default: the rendezvous server cannot be reached). */
  offlineReason?: string;
  /** The rendezvous server in use; null before one is known. */
  rendezvous?: string | null;
  hostMode?: AppStatus['host_mode'];
  interactive?: InteractiveMode;
  twoFactorEnabled?: boolean;
  /** How long `connect` takes, in ms (the "connecting" state is visible meanwhile). */
  connectDelayMs?: number;
  /** What `pending_deep_link` returns once (a link that started the app). */
  pendingLink?: LinkOutcome | null;
  /** The secret store cannot be used (first run without a working keyring). */
  storeProblem?: StoreProblem | null;
  /** A fresh install: no profile has unattended access or a password. */
  fresh?: boolean;
  /** Whether the keyring button fixes it (the keyring's prompt was answered). */
  keyringUnlocks?: boolean;
}

export const PASSWORD = 'open sesame 42';
export const TOTP = '123456';
/** Host IDs with a fixed behaviour. */
export const HOSTS = {
  unknown: '111111111',
  offline: '222222222',
  passwordAnd2fa: '333333333',
  keyChanged: '444444444',
  throttled: '555555555',
  denied: '666666666',
  protocol: '777777777',
  local: '888888888',
  badInput: '999999999',
  slow: '100000001',
  saved: '123456789',
  plain: '987654321',
} as const;

/** A file or folder of the fake's two file trees. */
export type FakeNode = { kind: FileItem['kind']; size: number; mtime: number; children?: Record<string, FakeNode> };
const file = (size: number, mtime = 1764576000): FakeNode => ({ kind: 'file', size, mtime });
const dir = (children: Record<string, FakeNode>, mtime = 1764576000): FakeNode => ({ kind: 'dir', size: 4096, mtime, children });

/** This computer's files: its home is `/home/me`. */
export const LOCAL_TREE = (): FakeNode =>
  dir({
    home: dir({
      me: dir({
        Documents: dir({ 'report.pdf': file(2 * 1024 * 1024), 'notes.txt': file(1200) }),
        Pictures: dir({ 'cat.jpg': file(340_000) }),
        'big.iso': file(3 * 1024 ** 3),
        'empty.txt': file(0),
      }),
    }),
  });
/** The remote computer's home (`~`): a folder `readonly` refuses what is copied into it. */
export const REMOTE_TREE = (): FakeNode =>
  dir({
    Desktop: dir({ 'todo.txt': file(512) }),
    readonly: dir({}),
    'budget.ods': file(48_000),
    'link-to-desktop': { kind: 'symlink', size: 7, mtime: 1764576000 },
  });

/** The host's system information as the fake reports it. */
export const SYSTEM_INFO: SystemInfo = {
  os: { name: 'Debian GNU/Linux', version: '12', pretty: 'Debian GNU/Linux 12 (bookworm)', arch: 'x86_64' },
  kernel: '6.1.0-27-amd64',
  hostname: 'front-desk',
  cpu: { model: 'Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz', logical_cores: 8, physical_cores: 4, load: [0.42, 0.3, 0.25] },
  memory: { total: 16 * 1024 ** 3, available: 9.5 * 1024 ** 3, swap_total: 2 * 1024 ** 3, swap_free: 2 * 1024 ** 3 },
  disks: [
    { mount: '/', filesystem: 'ext4', total: 250 * 1024 ** 3, free: 120 * 1024 ** 3 },
    { mount: '/home', filesystem: 'ext4', total: 900 * 1024 ** 3, free: 95 * 1024 ** 3 },
  ],
  displays: [
    { name: 'eDP-1', width: 1920, height: 1080, x: 0, y: 0, primary: true },
    { name: 'HDMI-1', width: 2560, height: 1440, x: 1920, y: 0, primary: false },
  ],
  uptime_secs: 3 * 86400 + 4 * 3600 + 12 * 60,
  interfaces: [
    { name: 'enp3s0', mac: '3c:52:82:aa:bb:cc', addresses: ['192.168.1.20/24', 'fe80::3e52:82ff:feaa:bbcc/64'] },
    { name: 'lo', mac: '00:00:00:00:00:00', addresses: ['127.0.0.1/8', '::1/128'] },
  ],
  users: [{ name: 'alice', line: 'tty2', host: '', since: 1764576000 }],
  latchkey_version: '0.1.0',
};

const ALL: Permission[] = [
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

const PERMISSION_INFO: PermissionInfo[] = [
  ['hear_sound', 'Hear sound', 'Hear the host’s sound.'],
  ['control_input', 'Keyboard and mouse', 'Use the host’s keyboard and mouse.'],
  ['clipboard', 'Clipboard', 'Share the clipboard (text and images).'],
  ['clipboard_files', 'Copy files', 'Copy files through the clipboard.'],
  ['block_input', 'Block local input', 'Block the host’s local keyboard and mouse.'],
  ['restart', 'Restart', 'Restart the host.'],
  ['file_manager', 'File manager', 'Use the file manager.'],
  ['lock_on_end', 'Lock when done', 'Lock the host’s session when the remote session ends.'],
  ['system_info', 'System information', 'See system information.'],
  ['print', 'Print', 'Print to the viewer’s printer.'],
  ['whiteboard', 'Whiteboard', 'Draw on the whiteboard.'],
  ['tcp_tunnel', 'TCP tunnels', 'Open TCP tunnels.'],
  ['privacy_mode', 'Privacy mode', 'Black out the host’s screen.'],
  ['show_pointer', 'Show pointer', 'Show the viewer’s pointer on the host.'],
].map(([id, label, description]) => ({ id: id as Permission, label, description }));

const DEFAULT_PERMS = ALL.filter((p) => p !== 'privacy_mode' && p !== 'tcp_tunnel');

/**
 * The host's monitors, as RandR reports them: ids are output ids (not positions in the list),
 * x/y the top-left corner in root-window coordinates. Pointer positions are display pixels.
 */
export const DISPLAYS: readonly DisplayInfo[] = [
  { id: 449, name: 'eDP-1', x: 0, y: 0, width: 1920, height: 1080, primary: true },
  { id: 451, name: 'HDMI-1', x: 1920, y: 0, width: 2560, height: 1440, primary: false },
];

function appError(code: ErrorCode, message = '', extra: Partial<AppError> = {}): AppError {
  return { code, message, retry_after_s: null, expected: null, got: null, ...extra };
}

interface Profile {
  name: string;
  builtin: boolean;
  enabled: boolean;
  unattended: boolean;
  password: string | null;
  permissions: Set<Permission>;
}

const COMMON = ['password', 'qwerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'latchkey'];

/** A small imitation of the Rust policy: same rules, simpler scoring. */
export function judgePassword(pw: string, context: string[]): Strength {
  const chars = [...pw];
  const refusals: string[] = [];
  const advice: string[] = [];
  if (chars.length < 8) refusals.push('use at least 8 characters');
  if (chars.length > 0) {
    const unit = [1, 2, 3, 4].find((p) => p < chars.length && chars.every((c, i) => i < p || c === chars[i - p]));
    const codes = chars.map((c) => c.toLowerCase().charCodeAt(0));
    const step = codes[1] - codes[0];
    const seq = codes.length >= 3 && Math.abs(step) === 1 && codes.every((c, i) => i === 0 || c - codes[i - 1] === step);
    if (unit) refusals.push(`it only repeats "${chars.slice(0, unit).join('')}"`);
    else if (seq) refusals.push('it is a sequence (like 12345678 or abcdefgh)');
    else if (new Set(chars).size < 5) refusals.push('use at least 5 different characters');
    const bare = pw.toLowerCase().replace(/[^a-z]/g, '').replace(/0/g, 'o');
    const word = [...COMMON, ...context.map((c) => c.toLowerCase())].find((w) => w && bare.includes(w));
    if (word) refusals.push(`it is a common password or a variation of "${word}"`);
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((r) => r.test(pw)).length;
  let score = Math.max(0, Math.min(4, Math.floor(chars.length / 4) + classes - 2));
  if (chars.length > 0 && score < 2 && refusals.length === 0) refusals.push('it is too easy to guess');
  if (chars.length >= 8 && chars.length < 12) advice.push('12 or more characters are recommended');
  if (chars.length > 0 && classes === 1) advice.push('mix upper and lower case letters, digits and symbols');
  const acceptable = refusals.length === 0;
  if (!acceptable) score = Math.min(score, 1);
  return { score, acceptable, refusals, warnings: [...refusals, ...advice] };
}

/** A fake "QR code": a deterministic pattern of squares, as SVG markup. */
function fakeQrSvg(seed: string): string {
  const n = 21;
  let h = 2166136261;
  let rects = '';
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      h = Math.imul(h ^ (seed.charCodeAt((x + y) % seed.length) + x * 31 + y), 16777619);
      const finder = (x < 7 && y < 7) || (x >= n - 7 && y < 7) || (x < 7 && y >= n - 7);
      const on = finder
        ? x % 6 === 0 || y % 6 === 0 || (x % 7 >= 2 && x % 7 <= 4 && y % 7 >= 2 && y % 7 <= 4) ||
          (x >= n - 7 && ((x - (n - 7)) % 6 === 0 || ((x - (n - 7)) >= 2 && (x - (n - 7)) <= 4 && y >= 2 && y <= 4)))
        : (h >>> 7) & 1;
      if (on) rects += `<rect x="${x}" y="${y}" width="1" height="1"/>`;
    }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 ${n + 4} ${n + 4}" shape-rendering="crispEdges"><rect x="-2" y="-2" width="${n + 4}" height="${n + 4}" fill="#fff"/><g fill="#000">${rects}</g></svg>`;
}

export class FakeBackend {
  readonly calls: { cmd: string; args: unknown }[] = [];
  private failures = new Map<string, AppError>();
  private storeProblem: StoreProblem | null;
  /** Set by `quit_app`. */
  quitRequested = false;
  private profiles: Profile[];
  private defaultProfile = 'default';
  private interactive: InteractiveMode;
  private saveLogin = false;
  private twoFactor = { enabled: false, pending: false, apply_to_tokens: true, apply_to_reconnect: true, recovery_codes_left: 0 };
  private tokens: TokenSummary[];
  private acl: AccessList = { enabled: false, entries: [{ fingerprint: 'QWER-TYUI-OPAS-DFGH', profiles: [] }] };
  private requests: Request[];
  private knownHosts: KnownHost[];
  private sessions = new Map<string, SessionInfo>();
  /** Strokes each session has on the host's screen (the pen tool). */
  private strokes = new Map<string, number>();
  private nextSession = 1;
  /** The host's clipboard text; null when it holds none. */
  clipboard: string | null = 'Text on the remote clipboard';
  /** The files the host's clipboard offers (`clipboard_get_files`), and this computer's copied files. */
  clipboardFiles: string[] = ['/home/host/Desktop/report.pdf', '/home/host/Pictures'];
  localCopiedFiles: string[] = [];
  /** What the host reports with `system_info` (its load moves on every ask). */
  systemInfo: SystemInfo = structuredClone(SYSTEM_INFO);
  /** The two file trees of the file window. */
  localTree: FakeNode = LOCAL_TREE();
  remoteTree: FakeNode = REMOTE_TREE();
  /** Bytes a copy moves per 50 ms step (the e2e tests slow it down to cancel one). */
  transferBytesPerStep = 64 * 1024 * 1024;
  private nextTransfer = 1;
  private copies = new Map<number, ReturnType<typeof setInterval>>();
  readonly inputs: InputEvent[] = [];
  readonly pointer: { x: number; y: number }[] = [];
  readonly answers: { id: string; accept: boolean; viewer: string; permissions: Permission[] | null }[] = [];

  constructor(
    private config: MockConfig,
    private emit: Emit,
  ) {
    const mk = (name: string, perms: Permission[], extra: Partial<Profile> = {}): Profile => ({
      name,
      builtin: true,
      enabled: true,
      unattended: false,
      password: null,
      permissions: new Set(perms),
      ...extra,
    });
    this.profiles = [
      mk('default', DEFAULT_PERMS),
      mk('full_access', ALL),
      mk('screen_sharing', []),
      mk('unattended', DEFAULT_PERMS, config.fresh ? {} : { unattended: true, password: 'Correct-Horse-9' }),
      mk('support', ['control_input', 'clipboard', 'show_pointer'], { builtin: false }),
    ];
    this.interactive = config.interactive ?? 'always';
    this.storeProblem = config.storeProblem ?? null;
    if (config.twoFactorEnabled) {
      this.twoFactor = { ...this.twoFactor, enabled: true, recovery_codes_left: 8 };
    }
    this.tokens = [
      { id: 't1', label: 'Alice’s laptop', profile: 'unattended', created: '2026-03-02T09:15:00Z', last_used: '2026-07-30T17:02:00Z', device: 'QWER-TYUI-OPAS-DFGH' },
      { id: 't2', label: 'Office desktop', profile: 'unattended', created: '2026-05-11T12:00:00Z', last_used: null, device: 'ZXCV-BNMQ-WERT-YUIO' },
      { id: 't3', label: 'Bob’s phone', profile: 'default', created: '2026-06-20T08:30:00Z', last_used: '2026-07-01T10:00:00Z', device: 'LKJH-GFDS-APOI-UYTR' },
      { id: 't4', label: 'Carol’s tablet', profile: 'support', created: '2026-07-14T16:45:00Z', last_used: '2026-07-28T11:20:00Z', device: 'HGFD-SAPO-IUYT-REWQ' },
    ];
    this.requests = config.requests ?? [];
    this.knownHosts = [
      // In ID order, like the Rust side (a BTreeMap).
      { id: HOSTS.saved, fingerprint: 'MNBV-CXZL-KJHG-FDSA', has_token: true, since: '2026-03-14T09:26:53Z' },
      { id: HOSTS.plain, fingerprint: 'POIU-YTRE-WQLK-JHGF', has_token: false, since: '2026-06-02T09:00:00Z' },
    ];
  }

  /** Make the next call of `cmd` fail with `error`. */
  failNext(cmd: string, error: Partial<AppError> & { code: ErrorCode }): void {
    this.failures.set(cmd, appError(error.code, error.message ?? '', error));
  }

  status(): AppStatus {
    const unattended = this.profiles.some((p) => p.enabled && p.unattended && p.password);
    const hostMode = this.config.hostMode ?? 'in_app';
    // Like status_of: a host that is off is offline, whatever the rendezvous says.
    const online = hostMode === 'off' ? 'offline' : (this.config.online ?? 'online');
    const offlineReason =
      hostMode === 'off'
        ? 'the host is not running'
        : online === 'offline'
          ? (this.config.offlineReason ?? 'cannot reach the rendezvous server: connection refused')
          : null;
    return {
      device_id: this.config.deviceId === undefined ? '418207351' : this.config.deviceId,
      fingerprint: 'K7QF-2XMA-9VTR-HP4D',
      online,
      offline_reason: offlineReason,
      rendezvous: this.config.rendezvous === undefined ? 'rendezvous.latchkey.test' : this.config.rendezvous,
      host_mode: hostMode,
      access: this.interactive === 'never' ? 'exclusive' : unattended ? 'unattended' : 'attended',
      interactive: this.interactive,
      save_login: this.saveLogin,
      two_factor: { ...this.twoFactor },
      default_profile: this.defaultProfile,
      tokens: this.tokens.length,
      profiles: this.profiles.map((p) => this.summary(p)),
      secret_store: 'keyring',
      config_dir: '/home/user/.config/latchkey',
    };
  }

  private summary(p: Profile): ProfileSummary {
    return {
      name: p.name,
      builtin: p.builtin,
      enabled: p.enabled,
      unattended: p.unattended,
      has_password: p.password !== null,
      default: p.name === this.defaultProfile,
      permissions: ALL.filter((x) => p.permissions.has(x)),
    };
  }

  private changed(): void {
    this.emit(EVENTS.status_changed, this.status());
  }

  private profile(name: string): Profile {
    const p = this.profiles.find((x) => x.name === name);
    if (!p) throw appError('not_found', `no profile named "${name}"`);
    return p;
  }

  /** Simulate a change made from the tray or the CLI. */
  external(change: {
    interactive?: InteractiveMode;
    saveLogin?: boolean;
    online?: AppStatus['online'];
    offlineReason?: string;
    revokeAll?: boolean;
  }): void {
    if (change.interactive) this.interactive = change.interactive;
    if (change.saveLogin !== undefined) this.saveLogin = change.saveLogin;
    if (change.online) this.config.online = change.online;
    if (change.offlineReason !== undefined) this.config.offlineReason = change.offlineReason;
    if (change.revokeAll) this.tokens = [];
    this.changed();
  }

  private aclCopy(): AccessList {
    return { enabled: this.acl.enabled, entries: this.acl.entries.map((e) => ({ ...e, profiles: [...e.profiles] })) };
  }

  setRequests(list: Request[]): void {
    this.requests = list;
    this.emit(EVENTS.requests_changed, list);
  }

  private revokeAll(): number {
    const n = this.tokens.length;
    this.tokens = [];
    return n;
  }

  async handle(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
    this.calls.push({ cmd, args });
    const failure = this.failures.get(cmd);
    if (failure) {
      this.failures.delete(cmd);
      throw failure;
    }
    switch (cmd) {
      case 'get_status':
        if (this.storeProblem) throw appError('secret_store', 'No keyring service (Secret Service) is running in this session');
        return this.status();
      case 'store_problem':
        return this.storeProblem;
      case 'choose_secret_store': {
        const p = this.storeProblem;
        if (!p) return null;
        if (args.choice === 'file' && !p.can_use_file) {
          throw appError('local', 'this configuration keeps its secrets in the OS keyring');
        }
        if (args.choice === 'file' || this.config.keyringUnlocks) {
          this.storeProblem = null;
          this.emit(EVENTS.store_problem, null);
          return null;
        }
        return p;
      }
      case 'quit_app':
        this.quitRequested = true;
        return null;
      case 'set_interactive':
        this.interactive = args.mode as InteractiveMode;
        this.changed();
        return this.status();
      case 'set_save_login':
        this.saveLogin = args.on as boolean;
        this.changed();
        return this.status();
      case 'list_tokens':
        return this.tokens.map((t) => ({ ...t }));
      case 'revoke_token': {
        const before = this.tokens.length;
        this.tokens = this.tokens.filter((t) => t.id !== args.id);
        if (this.tokens.length === before) throw appError('not_found', 'no such saved login');
        this.changed();
        return null;
      }
      case 'clear_tokens': {
        const n = this.revokeAll();
        this.changed();
        return n;
      }
      case 'enroll_two_factor': {
        this.twoFactor = { ...this.twoFactor, pending: true };
        this.changed();
        const secret = 'JBSWY3DPEHPK3PXPJBSWY3DP';
        const e: Enrollment = {
          uri: `otpauth://totp/Latchkey:418207351?secret=${secret}&issuer=Latchkey`,
          secret_base32: secret,
          qr_svg: fakeQrSvg(secret),
        };
        return e;
      }
      case 'confirm_two_factor': {
        if (!this.twoFactor.pending) throw appError('not_found', 'no enrolment is pending');
        if (args.code !== TOTP) throw appError('second_factor_invalid', 'the code does not match');
        const codes = ['7QHD-KX2M-PL4R-WZ9B', 'C3NV-8TQA-YF5J-M2KE', 'R6WB-JD4Z-Q7LX-H3NP', 'T9ME-2VKC-5HRS-A8YQ', 'F4GZ-N7PW-K3TD-X6JB', 'L2QS-9YHV-E5MC-R8WA', 'P7XK-4BDN-J2TF-Z6HQ', 'W3RJ-6MAE-V9PL-C4YT'];
        this.twoFactor = { ...this.twoFactor, enabled: true, pending: false, recovery_codes_left: codes.length };
        this.changed();
        return codes;
      }
      case 'disable_two_factor':
        this.twoFactor = { enabled: false, pending: false, apply_to_tokens: true, apply_to_reconnect: true, recovery_codes_left: 0 };
        this.changed();
        return null;
      case 'set_two_factor_scope':
        if (args.scope === 'tokens') this.twoFactor.apply_to_tokens = args.on as boolean;
        else if (args.scope === 'reconnect') this.twoFactor.apply_to_reconnect = args.on as boolean;
        else throw appError('bad_input', `unknown scope ${String(args.scope)}`);
        this.changed();
        return null;
      case 'list_permissions':
        return PERMISSION_INFO;
      case 'create_profile': {
        const name = String(args.name).trim();
        if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) throw appError('bad_input', 'use letters, digits, _ and - (at most 32)');
        if (this.profiles.some((p) => p.name === name)) throw appError('exists', `a profile named "${name}" exists`);
        const from = args.copyFrom ? this.profile(String(args.copyFrom)) : null;
        const p: Profile = { name, builtin: false, enabled: true, unattended: false, password: null, permissions: new Set(from ? from.permissions : []) };
        this.profiles.push(p);
        this.changed();
        return this.summary(p);
      }
      case 'rename_profile': {
        const p = this.profile(String(args.name));
        if (p.builtin) throw appError('builtin', 'built-in profiles keep their names');
        const newName = String(args.newName);
        if (this.profiles.some((x) => x.name === newName)) throw appError('exists', `a profile named "${newName}" exists`);
        for (const t of this.tokens) if (t.profile === p.name) t.profile = newName;
        for (const e of this.acl.entries) e.profiles = e.profiles.map((x) => (x === p.name ? newName : x));
        if (this.defaultProfile === p.name) this.defaultProfile = newName;
        p.name = newName;
        this.changed();
        return null;
      }
      case 'delete_profile': {
        const p = this.profile(String(args.name));
        if (p.builtin) throw appError('builtin', 'built-in profiles cannot be deleted');
        const before = this.tokens.length;
        this.tokens = this.tokens.filter((t) => t.profile !== p.name);
        this.profiles = this.profiles.filter((x) => x !== p);
        if (this.defaultProfile === p.name) this.defaultProfile = 'default';
        this.acl.entries = this.acl.entries.flatMap((e) => {
          if (e.profiles.length === 0) return [e];
          const left = e.profiles.filter((x) => x !== p.name);
          return left.length ? [{ ...e, profiles: left }] : [];
        });
        this.changed();
        return before - this.tokens.length;
      }
      case 'set_profile_enabled':
        this.profile(String(args.name)).enabled = args.enabled as boolean;
        this.changed();
        return null;
      case 'set_permission': {
        const p = this.profile(String(args.profile));
        const perm = args.permission as Permission;
        if (!ALL.includes(perm)) throw appError('bad_input', `unknown permission ${perm}`);
        if (args.on) p.permissions.add(perm);
        else p.permissions.delete(perm);
        this.changed();
        return null;
      }
      case 'set_default_profile':
        this.profile(String(args.name));
        this.defaultProfile = String(args.name);
        this.changed();
        return null;
      case 'set_unattended': {
        const p = this.profile(String(args.profile));
        if (args.on && !p.password) throw appError('no_password', `profile "${p.name}" has no password`);
        p.unattended = args.on as boolean;
        // Like the host: turning it off ends the profile's saved logins for good.
        if (!args.on) this.tokens = this.tokens.filter((t) => t.profile !== p.name);
        this.changed();
        return null;
      }
      case 'password_strength':
        return judgePassword(String(args.password), [String(args.profile), '418207351']);
      case 'set_password': {
        const p = this.profile(String(args.profile));
        const s = judgePassword(String(args.password), [p.name, '418207351']);
        if (!s.acceptable) throw appError('weak_password', `This password is refused: ${s.refusals.join('; ')}.`);
        p.password = String(args.password);
        const n = this.revokeAll();
        this.changed();
        return n;
      }
      case 'clear_password': {
        const p = this.profile(String(args.profile));
        p.password = null;
        p.unattended = false;
        this.changed();
        return null;
      }
      case 'list_acl':
        return this.aclCopy();
      case 'add_acl_entry': {
        const raw = String(args.fingerprint).replace(/[- ]/g, '').toUpperCase();
        if (!/^[A-Z2-7]{16}$/.test(raw)) throw appError('bad_input', `'${String(args.fingerprint)}' is not a device key fingerprint`);
        const fingerprint = raw.match(/.{4}/g)!.join('-');
        const profiles = [...new Set(args.profiles as string[])].sort();
        for (const name of profiles) this.profile(name);
        const entry = { fingerprint, profiles };
        const i = this.acl.entries.findIndex((e) => e.fingerprint === fingerprint);
        if (i >= 0) this.acl.entries[i] = entry;
        else this.acl.entries.push(entry);
        this.changed();
        return this.aclCopy();
      }
      case 'remove_acl_entry': {
        const before = this.acl.entries.length;
        this.acl.entries = this.acl.entries.filter((e) => e.fingerprint !== args.fingerprint);
        if (this.acl.entries.length === before) throw appError('not_found', `${String(args.fingerprint)} is not on the access control list`);
        this.changed();
        return this.aclCopy();
      }
      case 'set_acl':
        this.acl.enabled = args.on as boolean;
        this.changed();
        return this.aclCopy();
      case 'list_requests':
        return this.requests.map((r) => ({ ...r }));
      case 'answer_request': {
        const id = String(args.id);
        const r = this.requests.find((x) => x.id === id);
        if (!r) throw appError('not_found', 'this request is no longer waiting');
        // Like the host: an accept counts only for the viewer and profile the window showed.
        if (args.accept && (r.viewer !== args.viewer || r.profile !== args.profile)) {
          throw appError('not_found', 'this request is no longer waiting');
        }
        this.answers.push({ id, accept: args.accept as boolean, viewer: String(args.viewer), permissions: (args.permissions as Permission[] | null) ?? null });
        this.setRequests(this.requests.filter((r) => r.id !== id));
        return null;
      }
      case 'known_hosts':
        return this.knownHosts.map((h) => ({ ...h }));
      case 'connect':
        return this.connect(args.request as ConnectRequest);
      case 'session_info':
        return this.copy(this.session(args.sessionId));
      case 'send_input':
        this.session(args.sessionId);
        this.inputs.push(args.input as InputEvent);
        return null;
      case 'move_pointer':
        this.session(args.sessionId);
        this.pointer.push({ x: args.x as number, y: args.y as number });
        return null;
      case 'clipboard_get':
        this.session(args.sessionId);
        return this.clipboard;
      case 'clipboard_set':
        this.session(args.sessionId);
        this.clipboard = String(args.text);
        return null;
      case 'clipboard_get_files': {
        const s = this.session(args.sessionId);
        this.needClipboardFiles(s);
        if (this.clipboardFiles.length === 0) throw appError('empty', "the host's clipboard holds no files");
        const dir = (args.dir as string | null) ?? '/home/me/Downloads';
        const paths = this.clipboardFiles.map((p) => `${dir}/${p.split('/').pop()}`);
        this.localCopiedFiles = paths;
        return { paths, files: 5, bytes: 3 * 1024 * 1024 + 512 * 1024, on_local_clipboard: true };
      }
      case 'clipboard_put_files': {
        const s = this.session(args.sessionId);
        this.needClipboardFiles(s);
        const given = args.paths as string[];
        const srcs = given.length > 0 ? given : this.localCopiedFiles;
        if (srcs.length === 0) {
          throw appError('empty', 'no files are copied on this computer: copy some in a file manager first');
        }
        const paths = srcs.map((p) => `/home/host/.cache/latchkey-clipboard/5f2a/1/${p.split('/').pop()}`);
        this.clipboardFiles = paths;
        return { paths, files: srcs.length, bytes: 2048 * srcs.length, on_local_clipboard: false };
      }
      case 'system_info': {
        const s = this.session(args.sessionId);
        if (!s.permissions.includes('system_info')) {
          throw appError('permission', "the host does not allow system_info in this session (permission 'system_info')");
        }
        const [a, b, c] = this.systemInfo.cpu.load.map((l) => Math.round((l + 0.1) * 100) / 100);
        this.systemInfo.cpu.load = [a, b, c];
        return structuredClone(this.systemInfo);
      }
      case 'start_print': {
        const s = this.session(args.sessionId);
        if (!s.permissions.includes('print')) {
          throw appError('permission', "the host does not allow print in this session (permission 'print')");
        }
        return { queue: 'Latchkey-me_laptop', description: 'Latchkey - me@laptop' };
      }
      case 'print_job':
        this.session(args.sessionId);
        return null;
      case 'save_print_job': {
        this.session(args.sessionId);
        const dir = (args.dir as string | null) ?? '/home/me/Downloads';
        return `${dir}/Quarterly report.pdf`;
      }
      case 'set_block_input':
      case 'set_privacy_mode':
      case 'set_lock_on_end': {
        const s = this.session(args.sessionId);
        const permission = cmd.replace(/^set_/, '') as Permission;
        if (!s.permissions.includes(permission)) {
          throw appError('permission', `the host does not allow ${permission} in this session (permission '${permission}')`);
        }
        return Boolean(args.on);
      }
      case 'restart_host': {
        const s = this.session(args.sessionId);
        if (!s.permissions.includes('restart')) {
          throw appError('permission', "the host does not allow restart in this session (permission 'restart')");
        }
        return { valid_s: 600 };
      }
      case 'draw':
      case 'clear_drawing': {
        const s = this.session(args.sessionId);
        if (!s.permissions.includes('whiteboard')) {
          throw appError('permission', "the host does not allow whiteboard in this session (permission 'whiteboard')");
        }
        const n = cmd === 'draw' ? (this.strokes.get(s.session_id) ?? 0) + 1 : 0;
        this.strokes.set(s.session_id, n);
        return cmd === 'draw' ? n : null;
      }
      case 'open_files_window':
        this.session(args.sessionId);
        return null;
      case 'local_list':
        return this.listing(this.localTree, (args.path as string | null) ?? '/home/me', false);
      case 'remote_list': {
        const s = this.session(args.sessionId);
        this.needFiles(s);
        return this.listing(this.remoteTree, String(args.path), true);
      }
      case 'remote_mkdir': {
        const s = this.session(args.sessionId);
        this.needFiles(s);
        const path = String(args.path);
        const cut = path.lastIndexOf('/');
        const parent = this.find(this.remoteTree, path.slice(0, cut), true);
        const name = path.slice(cut + 1);
        if (!parent?.children) throw appError('not_found', `${path.slice(0, cut)}: no such folder`);
        if (parent.children[name]) throw appError('exists', `${path}: already exists`);
        if (name.includes('..')) throw appError('bad_input', `${name}: not a file name`);
        parent.children[name] = dir({}, Math.floor(Date.now() / 1000));
        return null;
      }
      case 'start_transfer':
        return this.startCopy(this.session(args.sessionId), args.request as TransferRequest);
      case 'cancel_transfer': {
        const s = this.session(args.sessionId);
        const id = args.id as number;
        const timer = this.copies.get(id);
        if (timer !== undefined) {
          clearInterval(timer);
          this.copies.delete(id);
          this.emit(EVENTS.file_transfer, { session_id: s.session_id, id, name: '', direction: 'upload', state: 'cancelled', sent: 0, total: 0, error: null });
        }
        return null;
      }
      case 'switch_display': {
        const s = this.session(args.sessionId);
        const id = args.id as number;
        if (!s.displays.some((d) => d.id === id)) {
          const have = s.displays.map((d) => d.id).join(', ');
          throw appError('bad_input', `the host has no display ${id} (it has: ${have})`);
        }
        s.display = id;
        return this.copy(s);
      }
      case 'pending_deep_link': {
        const link = this.config.pendingLink ?? null;
        this.config.pendingLink = null;
        return link;
      }
      case 'end_session': {
        const s = this.session(args.sessionId);
        this.sessions.delete(s.session_id);
        this.emit(EVENTS.session_ended, { session_id: s.session_id, reason: 'you ended the session' });
        return null;
      }
      default:
        throw appError('local', `the mock backend has no command "${cmd}"`);
    }
  }

  private needClipboardFiles(s: SessionInfo) {
    if (!s.permissions.includes('clipboard_files')) {
      throw appError('permission', "the host does not allow clipboard_files_get in this session (permission 'clipboard_files')");
    }
  }

  private needFiles(s: SessionInfo) {
    if (!s.permissions.includes('file_manager')) {
      throw appError('permission', "the host does not allow files in this session (permission 'file_manager')");
    }
  }

  /** The node at `path` of `tree` (the remote one is read from its home `~`). */
  private find(tree: FakeNode, path: string, remote: boolean): FakeNode | null {
    const rest = remote ? path.replace(/^~\/?/, '') : path.replace(/^\//, '');
    let node: FakeNode | undefined = tree;
    for (const part of rest.split('/').filter(Boolean)) {
      node = node?.children?.[part];
      if (!node) return null;
    }
    return node ?? null;
  }

  private listing(tree: FakeNode, path: string, remote: boolean): FileListing {
    const node = this.find(tree, path, remote);
    if (!node) throw appError('not_found', `${path}: no such file or folder`);
    if (!node.children) throw appError('bad_input', `${path}: not a folder`);
    const trimmed = path.replace(/\/+$/, '') || '/';
    const cut = trimmed.lastIndexOf('/');
    const parent = remote
      ? trimmed === '~'
        ? null
        : cut > 0
          ? trimmed.slice(0, cut)
          : '~'
      : trimmed === '/'
        ? null
        : cut > 0
          ? trimmed.slice(0, cut)
          : '/';
    const entries = Object.entries(node.children)
      .map(([name, n]) => ({ name, kind: n.kind, size: n.size, mtime: n.mtime }))
      .sort((a, b) => Number(a.kind !== 'dir') - Number(b.kind !== 'dir') || a.name.localeCompare(b.name));
    return { path: trimmed, parent, entries };
  }

  /** Copy in steps of `transferBytesPerStep` every 50 ms, then put the copy in place. */
  private startCopy(s: SessionInfo, r: TransferRequest) {
    this.needFiles(s);
    const upload = r.direction === 'upload';
    const [from, to] = upload ? [this.localTree, this.remoteTree] : [this.remoteTree, this.localTree];
    const node = this.find(from, r.from, !upload);
    const name = r.from.split('/').filter(Boolean).pop() ?? '';
    if (!node) throw appError('not_found', `${r.from}: no such file or folder`);
    const target = this.find(to, r.to_dir, upload);
    if (!target?.children) throw appError('not_found', `${r.to_dir}: no such folder`);
    const id = this.nextTransfer++;
    const total = node.kind === 'dir' ? Object.values(node.children ?? {}).reduce((n, c) => n + c.size, 0) : node.size;
    const progress = (over: Partial<TransferProgress>) =>
      this.emit(EVENTS.file_transfer, { session_id: s.session_id, id, name, direction: r.direction, state: 'running', sent: 0, total, error: null, ...over });
    progress({});
    let sent = 0;
    const timer = setInterval(() => {
      if (upload && r.to_dir.replace(/\/+$/, '').endsWith('readonly')) {
        clearInterval(timer);
        this.copies.delete(id);
        progress({ state: 'failed', error: `${r.to_dir}/${name}: permission denied on the host` });
        return;
      }
      sent = Math.min(total, sent + this.transferBytesPerStep);
      if (sent < total) return progress({ sent });
      clearInterval(timer);
      this.copies.delete(id);
      target.children![name] = structuredClone(node);
      progress({ state: 'done', sent: total });
    }, 50);
    this.copies.set(id, timer);
    return { id, name };
  }

  private configuredSession(id: string): SessionInfo | null {
    if (!this.config.session) return null;
    const over = this.config.session;
    const s = this.makeSession(HOSTS.saved, 'token', 'default', false, {
      // A configured list of displays streams its first one unless told otherwise.
      ...(over.displays?.length ? { display: over.displays[0].id } : {}),
      ...over,
    });
    s.session_id = id;
    this.sessions.set(id, s);
    return s;
  }

  /** A live session, or the error every session command gives for one that is over. */
  private session(id: unknown): SessionInfo {
    const s = this.sessions.get(String(id)) ?? this.configuredSession(String(id));
    if (!s) throw appError('session_ended', 'this session has ended');
    return s;
  }

  /** What a command returns: a snapshot, never the fake's own object. */
  private copy(s: SessionInfo): SessionInfo {
    return { ...s, displays: s.displays.map((d) => ({ ...d })), permissions: [...s.permissions] };
  }

  private makeSession(
    hostId: string,
    method: SessionInfo['method'],
    profile: string,
    tokenSaved: boolean,
    over: Partial<SessionInfo> = {},
  ): SessionInfo {
    return {
      session_id: `s${this.nextSession++}`,
      host_id: hostId,
      method,
      profile,
      permissions: DEFAULT_PERMS,
      token_saved: tokenSaved,
      displays: DISPLAYS.map((d) => ({ ...d })),
      display: DISPLAYS[0].id,
      frames_url: this.config.framesUrl ?? 'ws://127.0.0.1:9/frames?secret=unused',
      ...over,
    };
  }

  private async connect(r: ConnectRequest): Promise<SessionInfo> {
    const delay = r.host_id === HOSTS.slow ? 60_000 : (this.config.connectDelayMs ?? 120);
    await new Promise((res) => setTimeout(res, delay));
    const needPassword = () => {
      if (r.password === null) throw appError('denied', 'the person at the host declined');
      if (r.password !== PASSWORD) throw appError('wrong_credentials', 'wrong password');
    };
    switch (r.host_id) {
      case HOSTS.unknown:
        throw appError('unknown_id', 'no host is registered with this ID');
      case HOSTS.offline:
        throw appError('host_offline', 'the host is not connected to the rendezvous server');
      case HOSTS.passwordAnd2fa:
        needPassword();
        if (r.totp === null) throw appError('second_factor_required');
        if (r.totp !== TOTP) throw appError('second_factor_invalid', 'the code is wrong or was used');
        break;
      case HOSTS.keyChanged:
        if (!r.accept_new_host_key)
          throw appError('host_key_changed', 'host key changed', { expected: 'AAQE-BGMS-7CUY-DINT', got: 'ZX4W-QP7R-LM2K-HV9N' });
        break;
      case HOSTS.throttled:
        throw appError('throttled', 'too many failures', { retry_after_s: 42 });
      case HOSTS.denied:
        needPassword();
        break;
      case HOSTS.protocol:
        throw appError('protocol', 'the host speaks protocol version 9');
      case HOSTS.local:
        throw appError('local', 'the secret store is locked');
      case HOSTS.badInput:
        throw appError('bad_input', 'the profile name is not valid');
      default:
        break;
    }
    const known = this.knownHosts.find((h) => h.id === r.host_id);
    const method: SessionInfo['method'] = r.password ? 'password' : known?.has_token ? 'token' : 'accepted';
    const tokenSaved = r.remember && r.password !== null && r.host_id !== HOSTS.denied;
    const s = this.makeSession(r.host_id, method, r.profile ?? 'default', tokenSaved);
    this.sessions.set(s.session_id, s);
    const info = this.copy(s);
    if (known) {
      known.has_token ||= tokenSaved;
    } else {
      // Its key is accepted now; the list stays in ID order.
      const since = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      this.knownHosts.push({ id: r.host_id, fingerprint: 'NEWH-OSTK-EYFP-ABCD', has_token: tokenSaved, since });
      this.knownHosts.sort((a, b) => a.id.localeCompare(b.id));
    }
    return info;
  }
}

export { ALL as ALL_PERMISSIONS_MOCK, DEFAULT_PERMS };
