//! The command line, as clap sees it. The shape is a contract shared with the
//! desktop app and the tests: change it only together with them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Latchkey: remote desktop access for the machine nobody sits at.
#[derive(Debug, Parser)]
#[command(name = "latchkey", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration directory (default: the platform's, e.g. $XDG_CONFIG_HOME/latchkey).
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Where secrets are kept: the OS keyring (default) or a 0600 file in the config dir.
    #[arg(long, global = true, value_enum, value_name = "STORE")]
    pub secret_store: Option<StoreArg>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--secret-store` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StoreArg {
    /// The OS keyring (Secret Service on Linux).
    Keyring,
    /// `<config-dir>/secrets`, mode 0600.
    File,
}

/// `on` / `off`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OnOff {
    /// Turn on.
    On,
    /// Turn off.
    Off,
}

impl OnOff {
    /// As a bool.
    pub fn on(self) -> bool {
        self == OnOff::On
    }
}

/// `--json`.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--profile P`.
#[derive(Debug, Args)]
pub struct ProfileArg {
    /// Permission profile (default: the default profile).
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show this device's fingerprint, access settings and profiles, and which
    /// capture and input paths the running host opened (X11, wlroots, portal).
    Status(JsonFlag),
    /// Unattended-access passwords (read from stdin, never from the command line).
    #[command(subcommand)]
    Password(PasswordCmd),
    /// Turn unattended access on or off for a profile.
    Unattended {
        /// on or off.
        state: OnOff,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Allow other computers to save login information (new tokens).
    SaveLogin {
        /// on or off.
        state: OnOff,
    },
    /// What happens when someone connects without a credential.
    Interactive {
        /// always | window (only while the main window is open) | never (exclusive unattended access).
        mode: ModeArg,
    },
    /// Saved logins issued to viewers.
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// Access control list: which viewer devices may ask for a session at all.
    #[command(subcommand)]
    Acl(AclCmd),
    /// TOTP second factor.
    #[command(name = "2fa", subcommand)]
    TwoFactor(TwoFactorCmd),
    /// Permission profiles.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Show the audit log.
    Audit {
        #[command(flatten)]
        json: JsonFlag,
        /// Only the last N events.
        #[arg(long, value_name = "N")]
        tail: Option<usize>,
    },
    /// This device's ID (once it has registered with a rendezvous).
    Id,
    /// Run the host in the foreground until SIGINT or SIGTERM.
    Host {
        /// Rendezvous server, ws://HOST:PORT or wss://HOST (remembered once given).
        #[arg(long, value_name = "URL")]
        rendezvous: Option<String>,
        /// X display to share (default: $DISPLAY), or `auto`: the active graphical
        /// session's, asked from logind, followed across logout and login.
        #[arg(long, value_name = ":N|auto")]
        display: Option<String>,
        /// With no rendezvous server configured, wait (stay running, checking
        /// the configuration every few seconds) until one is, instead of
        /// exiting with code 2: the services use it, so that an enabled
        /// service not yet set up waits quietly.
        #[arg(long)]
        wait_for_rendezvous: bool,
    },
    /// Pending incoming requests on the running host.
    Requests(JsonFlag),
    /// Accept a pending request.
    Accept {
        /// Request id from `latchkey requests`.
        request: String,
        /// Accept only if the request comes from this device key fingerprint
        /// (default: the one `latchkey requests` shows for REQ).
        #[arg(long, value_name = "FP")]
        viewer: Option<String>,
        /// Grant this profile instead of the one asked for.
        #[arg(long, value_name = "P")]
        profile: Option<String>,
        /// Withdraw a permission from the grant (repeatable).
        #[arg(long = "deny-permission", value_name = "PERM")]
        deny_permission: Vec<String>,
    },
    /// Deny a pending request.
    Deny {
        /// Request id from `latchkey requests`.
        request: String,
    },
    /// Send one raw request to the running host's control socket and print
    /// its JSON answer, e.g. '{"cmd":"admin","op":{"op":"status"}}' (settings
    /// of a system service, for members of the `latchkey` group).
    Control {
        /// The request, as JSON.
        request: String,
    },
    /// Connect to a host by ID.
    Connect(ConnectArgs),
    /// A host's system information: OS, kernel, CPU, memory, disks,
    /// displays, uptime, network interfaces, logged-in users (needs the
    /// `system_info` permission).
    Sysinfo(SysinfoArgs),
    /// Restart a host (needs `restart`; the host must run as the system
    /// service): it issues this device a single-use reconnect credential, kept
    /// in this device's secret store, that the next `connect` to it uses, no
    /// password; with --wait, log back in as soon as it is back.
    Restart(crate::commands::restart::RestartArgs),
    /// Files through a host's clipboard (needs `clipboard_files`):
    /// `--get-files DIR` copies what the host's clipboard offers into DIR;
    /// `--put-files FILE...` copies files to the host and has its clipboard
    /// offer them.
    Clipboard(crate::commands::clipboard_files::ClipboardArgs),
    /// List a directory on a host (`ID:PATH`; `~` is the desktop user's home).
    Ls(crate::commands::files::LsArgs),
    /// Copy files between this computer and a host, scp's way (one side `ID:PATH`).
    Cp(crate::commands::files::CpArgs),
    /// Make a directory on a host.
    Mkdir(crate::commands::files::MkdirArgs),
    /// Remove a file (or with -r a directory tree) on a host.
    Rm(crate::commands::files::RmArgs),
    /// Rename a file or directory on a host.
    Mv(crate::commands::files::MvArgs),
    /// (Internal) serve a root host's file operations on stdin/stdout, with
    /// the rights of the desktop's user (the host starts it with that uid).
    #[command(name = "files-helper", hide = true)]
    FilesHelper {
        /// That user's home.
        home: std::path::PathBuf,
    },
    /// TCP tunnels through a host, like ssh's -L and -R, until Ctrl-C
    /// (needs `tcp_tunnel`).
    Tunnel(TunnelArgs),
    /// Hosts whose keys this viewer remembers.
    #[command(name = "known-hosts", subcommand)]
    KnownHosts(KnownHostsCmd),
    /// Run the rendezvous server (the same as `latchkey-rendezvous`).
    Rendezvous(crate::rendezvous_cmd::RendezvousArgs),
    /// The host as a systemd service: reachable from boot (or login), across logout.
    #[command(subcommand)]
    Service(ServiceCmd),
}

/// Which host to reach and how to log in: what `connect` and every feature
/// subcommand (`latchkey cp`, `latchkey tunnel`, ...) take first.
#[derive(Debug, Args)]
pub struct ConnectTarget {
    /// The host's ID (spaces allowed: "123 456 789").
    pub id: String,
    /// How to log in.
    #[command(flatten)]
    pub login: LoginArgs,
}

/// How to log in to a host, as every viewer subcommand does (`connect`,
/// `sysinfo`, `tunnel`, and the file commands, whose ID is in their paths).
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Rendezvous server (remembered once given).
    #[arg(long, value_name = "URL")]
    pub rendezvous: Option<String>,
    /// Profile to ask for.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Log in with the password read from stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// TOTP (or recovery) code, if the host asks for one.
    #[arg(long, value_name = "CODE")]
    pub totp: Option<String>,
    /// Ask the host for a saved-login token ("log in automatically from now on").
    #[arg(long)]
    pub remember: bool,
    /// Accept a host key that differs from the remembered one.
    #[arg(long)]
    pub accept_new_host_key: bool,
}

/// `sysinfo ID ...`
#[derive(Debug, Args)]
pub struct SysinfoArgs {
    /// The host and the login.
    #[command(flatten)]
    pub target: ConnectTarget,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `connect ...`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("recording").args(["record", "record_audio"]).multiple(true)))]
pub struct ConnectArgs {
    /// The host and the login.
    #[command(flatten)]
    pub target: ConnectTarget,
    /// Authenticate, print the outcome and leave.
    #[arg(long)]
    pub probe: bool,
    /// Move the host's pointer to X,Y (after connecting), then leave.
    #[arg(long = "move", value_name = "X,Y", value_parser = parse_point)]
    pub move_to: Option<(i32, i32)>,
    /// Click the left button (after --move, if given), then leave.
    #[arg(long)]
    pub click: bool,
    /// Type this text on the host, then leave.
    #[arg(long = "type", value_name = "TEXT")]
    pub type_text: Option<String>,
    /// Press this key (DOM code, e.g. ShiftLeft) and keep it held while the
    /// session stays open (repeatable): shows that the host lets go of every
    /// key when a session drops.
    #[arg(long = "hold-key", value_name = "CODE")]
    pub hold_key: Vec<String>,
    /// Put this text on the host's clipboard, then leave.
    #[arg(long, value_name = "TEXT")]
    pub clipboard_set: Option<String>,
    /// Print the host's clipboard text, then leave.
    #[arg(long)]
    pub clipboard_get: bool,
    /// Record the host's screen to a Y4M file (30 fps, I420) for --seconds, then leave.
    #[arg(long, value_name = "FILE.y4m")]
    pub record: Option<std::path::PathBuf>,
    /// Record the host's sound to a WAV file (48 kHz, stereo, 16-bit) for
    /// --seconds, then leave (with --record, both at once). The host sends
    /// sound only with the permission hear_sound; without it the file is silent.
    #[arg(long, value_name = "FILE.wav")]
    pub record_audio: Option<std::path::PathBuf>,
    /// With --record or --record-audio: how long, in seconds (1 to 3600).
    #[arg(long, value_name = "S", default_value_t = 5, requires = "recording", value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub seconds: u32,
    /// Stream the host's display with this id (see --list-displays) before anything else.
    #[arg(long, value_name = "ID")]
    pub display: Option<u32>,
    /// Print the host's displays (id, name, geometry; * marks the streamed one).
    #[arg(long)]
    pub list_displays: bool,
    /// Stay connected and read commands from standard input, one per line,
    /// answering each with a line of JSON: move X Y, click, type TEXT,
    /// key CODE down|up, clipboard-set TEXT, clipboard-get, displays,
    /// display ID, block-input on|off, privacy on|off, lock-on-end on|off,
    /// sync, quit.
    #[arg(long, conflicts_with_all = ["record", "record_audio", "screenshot", "probe"])]
    pub commands: bool,
    /// Do not lock the host's desktop when this session ends (a session
    /// with the permission lock_on_end otherwise does).
    #[arg(long)]
    pub no_lock_on_end: bool,
    /// Have the host offer a printer for this viewer while the session
    /// lasts (needs `print`) and save each job printed to it in DIR as a PDF.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["record", "screenshot", "probe"])]
    pub print_to: Option<std::path::PathBuf>,
    /// Save one decoded frame of the host's screen as PNG, then leave.
    #[arg(long, value_name = "FILE.png")]
    pub screenshot: Option<std::path::PathBuf>,
    /// With --screenshot: save the N-th decoded frame (default 1).
    #[arg(long, value_name = "N", default_value_t = 1, requires = "screenshot")]
    pub after_frames: u32,
    /// Print the outcome as one JSON line.
    #[arg(long)]
    pub json: bool,
}

/// `tunnel ...`
#[derive(Debug, Args)]
pub struct TunnelArgs {
    /// The host and the login.
    #[command(flatten)]
    pub target: ConnectTarget,
    /// A port here (on BIND, 127.0.0.1 unless given; PORT 0: any free one)
    /// that reaches DEST:DESTPORT from the host (repeatable). IPv6 in brackets.
    #[arg(short = 'L', value_name = "[BIND:]PORT:DEST:DESTPORT", value_parser = parse_tunnel)]
    pub local: Vec<latchkey_core::feature::tunnel::TunnelSpec>,
    /// A port on the host (on BIND, 127.0.0.1 unless given; PORT 0: any free
    /// one) that reaches DEST:DESTPORT from here (repeatable).
    #[arg(short = 'R', value_name = "[BIND:]PORT:DEST:DESTPORT", value_parser = parse_tunnel)]
    pub remote: Vec<latchkey_core::feature::tunnel::TunnelSpec>,
    /// Print each ready tunnel (and a failure) as one JSON line.
    #[arg(long)]
    pub json: bool,
}

/// Parse `[BIND:]PORT:DEST:DESTPORT`.
fn parse_tunnel(s: &str) -> Result<latchkey_core::feature::tunnel::TunnelSpec, String> {
    s.parse()
        .map_err(|e: latchkey_core::feature::tunnel::SpecError| e.to_string())
}

/// Parse `X,Y`.
fn parse_point(s: &str) -> Result<(i32, i32), String> {
    let (x, y) = s
        .split_once(',')
        .ok_or_else(|| format!("'{s}' is not X,Y"))?;
    let n = |v: &str| {
        v.trim()
            .parse::<i32>()
            .map_err(|_| format!("'{s}' is not X,Y"))
    };
    let (x, y) = (n(x)?, n(y)?);
    if !(0..=32767).contains(&x) || !(0..=32767).contains(&y) {
        return Err(format!("'{s}' is outside the screen"));
    }
    Ok((x, y))
}

/// `known-hosts ...`
#[derive(Debug, Subcommand)]
pub enum KnownHostsCmd {
    /// List remembered hosts.
    List(JsonFlag),
    /// Forget a host's key.
    Forget {
        /// The host's ID.
        id: String,
    },
}

/// Interactive modes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Always show the accept window.
    Always,
    /// Only while the main window is open.
    Window,
    /// Never: access is exclusively unattended.
    Never,
}

/// `password ...`
#[derive(Debug, Subcommand)]
pub enum PasswordCmd {
    /// Set a profile's password (stdin, or a no-echo prompt on a terminal).
    Set(ProfileArg),
    /// Check a password against a profile (exit 0 if it matches, 3 if not).
    Verify(ProfileArg),
    /// Judge a password (stdin) and print JSON {score, acceptable, warnings}.
    Strength,
    /// Remove a profile's password (turns its unattended access off).
    Clear(ProfileArg),
}

/// `tokens ...`
#[derive(Debug, Subcommand)]
pub enum TokensCmd {
    /// List saved logins.
    List(JsonFlag),
    /// Revoke one saved login.
    Revoke {
        /// Token id from `tokens list`.
        id: String,
    },
    /// Revoke every saved login.
    Clear,
}

/// `acl ...`
#[derive(Debug, Subcommand)]
pub enum AclCmd {
    /// List a viewer by its key fingerprint (`latchkey status` on the viewer),
    /// or change the profiles it may ask for.
    Add {
        /// The viewer's key fingerprint, e.g. ABCD-EFGH-IJKL-MNOP.
        fingerprint: String,
        /// Limit it to this profile (repeatable; none: any profile).
        #[arg(long = "profile", value_name = "P")]
        profiles: Vec<String>,
    },
    /// Take a viewer off the list.
    Remove {
        /// The viewer's key fingerprint.
        fingerprint: String,
    },
    /// Show the list and whether it is on.
    List(JsonFlag),
    /// Refuse every viewer that is not listed, before any password or accept window.
    On,
    /// Let any viewer ask again.
    Off,
}

/// `2fa ...`
#[derive(Debug, Subcommand)]
pub enum TwoFactorCmd {
    /// Start enrolment: prints the otpauth:// URI and secret.
    Enroll {
        /// Also write the QR code as SVG to this file.
        #[arg(long, value_name = "FILE.svg")]
        qr: Option<PathBuf>,
    },
    /// Finish enrolment with a code from the authenticator app.
    Confirm {
        /// The 6-digit code.
        code: String,
    },
    /// Turn the second factor off.
    Disable,
    /// Show 2FA state.
    Status(JsonFlag),
    /// Whether token logins need a code too.
    Tokens {
        /// on or off.
        state: OnOff,
    },
    /// Whether the reconnect after a remote restart needs a code too.
    Reconnect {
        /// on or off.
        state: OnOff,
    },
}

/// `profile ...`
#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// List profiles.
    List(JsonFlag),
    /// Show one profile.
    Show {
        /// Profile name.
        name: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Create a profile (view only, or a copy of another's permissions).
    Create {
        /// New name (1 to 32 of a-z 0-9 _ -).
        name: String,
        /// Copy permissions from this profile.
        #[arg(long, value_name = "Q")]
        from: Option<String>,
    },
    /// Rename a user profile.
    Rename {
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
    },
    /// Delete a user profile (its saved logins die with it).
    Delete {
        /// Profile name.
        name: String,
    },
    /// Enable a profile.
    Enable {
        /// Profile name.
        name: String,
    },
    /// Disable a profile (it cannot be granted; its password stops working).
    Disable {
        /// Profile name.
        name: String,
    },
    /// Grant or withdraw a permission.
    Set {
        /// Profile name.
        name: String,
        /// One of the 14 permission names.
        permission: String,
        /// on or off.
        state: OnOff,
    },
    /// Make a profile the default.
    Default {
        /// Profile name.
        name: String,
    },
    /// Where the profile's TCP tunnels (`tcp_tunnel`) may lead.
    #[command(name = "tunnel-destinations")]
    TunnelDestinations {
        /// Profile name.
        name: String,
        /// `any` (the default), `none`, or comma-separated HOST[:PORT] patterns:
        /// HOST a name, *.domain, an address ([::1] for IPv6), a CIDR block or *;
        /// PORT a number, LOW-HIGH or * (no PORT: any port).
        destinations: String,
    },
}

/// `service ...`
#[derive(Debug, Subcommand)]
pub enum ServiceCmd {
    /// Write the systemd unit, then enable and start it (when systemd runs).
    Install {
        #[command(flatten)]
        scope: ServiceScope,
        /// Rendezvous server for the service's host (remembered in its configuration).
        #[arg(long, value_name = "URL")]
        rendezvous: Option<String>,
    },
    /// Stop, disable and remove the unit (the host's state is kept).
    Uninstall {
        #[command(flatten)]
        scope: ServiceScope,
    },
    /// Whether the unit is installed and active, and whether its host answers.
    Status {
        #[command(flatten)]
        scope: ServiceScope,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// `--user | --system [--unit-dir DIR]`. Without either: `--system` as root,
/// `--user` otherwise (`status`: both).
#[derive(Debug, Args)]
pub struct ServiceScope {
    /// This user's service (systemctl --user), with the OS keyring: starts at login
    /// (the default when not root).
    #[arg(long, conflicts_with = "system")]
    pub user: bool,
    /// The machine's service: root, at boot, state in /var/lib/latchkey, file secret
    /// store (the default as root).
    #[arg(long)]
    pub system: bool,
    /// Use DIR instead of systemd's unit directory, and never enable (tests, packaging).
    #[arg(long, value_name = "DIR")]
    pub unit_dir: Option<PathBuf>,
}
