//! `latchkey service install|uninstall|status`: the host as a systemd service,
//! so that a machine stays reachable from boot (`--system`) or from login
//! (`--user`), and across logout.
//!
//! The units come from `packaging/systemd/` (built into the binary); `install`
//! puts the absolute path of the running binary in their `ExecStart`, writes
//! the unit, and asks systemd to enable and start it when a running systemd
//! can be asked. When none can (a container, CI, `--unit-dir`), the unit is
//! still written, the message says how to enable it, and the exit code is
//! [`exit::NOT_ENABLED`].
//!
//! [`host_display`] is the host's side of `--display auto`: see [`display`].

mod display;

use serde::Serialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use latchkey_core::settings::SecretStoreKind;
use latchkey_core::ErrorCode;
use latchkey_session::host::control_socket::{self, auth, ControlRequest, ControlResponse};
use latchkey_store::Config;

use super::print_json;
use crate::cli::{ServiceCmd, ServiceScope};
use crate::exit::{self, CliError};

pub use display::host_display;

/// The system unit's template.
const SYSTEM_TEMPLATE: &str = include_str!("../../../../packaging/systemd/latchkey.service");
/// The user unit's template.
const USER_TEMPLATE: &str = include_str!("../../../../packaging/systemd/latchkey-user.service");
/// The binary path the templates name (where the package installs it).
const PACKAGED_BINARY: &str = "/usr/bin/latchkey";
/// The unit's name, in both scopes.
const UNIT: &str = "latchkey.service";
/// Where systemd reads system units written by the administrator.
const SYSTEM_UNIT_DIR: &str = "/etc/systemd/system";
/// The system service's state directory (its `StateDirectory=`).
pub const SYSTEM_STATE_DIR: &str = "/var/lib/latchkey";

/// Which service: the machine's or this user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    System,
    User,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::System => "system",
            Scope::User => "user",
        }
    }

    /// `systemctl` with `--user` when it applies.
    fn systemctl(self) -> Command {
        let mut cmd = Command::new("systemctl");
        if self == Scope::User {
            cmd.arg("--user");
        }
        cmd
    }

    /// `systemctl [--user]` as a person would type it.
    fn systemctl_text(self) -> &'static str {
        match self {
            Scope::System => "systemctl",
            Scope::User => "systemctl --user",
        }
    }
}

/// Run `latchkey service ...`. `config_dir` and `store` are the global options.
pub fn run(
    cmd: ServiceCmd,
    config_dir: Option<PathBuf>,
    store: Option<SecretStoreKind>,
) -> Result<(), CliError> {
    match cmd {
        ServiceCmd::Install { scope, rendezvous } => install(&scope, config_dir, store, rendezvous),
        ServiceCmd::Uninstall { scope } => uninstall(&scope),
        ServiceCmd::Status { scope, json } => status(&scope, json.json),
    }
}

/// The scope asked for; without `--user`/`--system`, root means the system
/// service and anyone else their own.
fn scope_of(s: &ServiceScope) -> Scope {
    if s.system {
        Scope::System
    } else if s.user {
        Scope::User
    } else if is_root() {
        Scope::System
    } else {
        Scope::User
    }
}

fn is_root() -> bool {
    auth::effective_uid() == Some(0)
}

/// The directory the unit goes to: `--unit-dir`, or systemd's.
fn unit_dir(scope: Scope, given: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(d) = given {
        return Ok(d.to_path_buf());
    }
    match scope {
        Scope::System => Ok(PathBuf::from(SYSTEM_UNIT_DIR)),
        Scope::User => {
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| {
                    std::env::var_os("HOME")
                        .map(PathBuf::from)
                        .filter(|p| p.is_absolute())
                        .map(|h| h.join(".config"))
                })
                .ok_or_else(|| {
                    CliError::Usage(
                        "cannot find this user's config directory (no HOME): pass --unit-dir"
                            .into(),
                    )
                })?;
            Ok(config.join("systemd").join("user"))
        }
    }
}

/// A path as it may appear in a unit's `ExecStart` without quoting: systemd
/// treats spaces, quotes, `%`, `$` and `\` specially.
fn unit_word(p: &Path) -> Result<&str, CliError> {
    let text = p.to_str().filter(|t| {
        t.starts_with('/')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._+-,@=:".contains(c))
    });
    text.ok_or_else(|| {
        CliError::Usage(format!(
            "'{}' cannot go into a systemd unit as it is (use an absolute path \
             without spaces, quotes, '%', '$' or '\\')",
            p.display()
        ))
    })
}

/// The unit text: `template` with `exe` (and `extra` options before the
/// command) in place of the packaged binary in its one `ExecStart` line.
fn render(template: &str, exe: &Path, extra: &[String]) -> Result<String, CliError> {
    let exe = unit_word(exe)?;
    let prefix = format!("ExecStart={PACKAGED_BINARY} ");
    let mut out = String::with_capacity(template.len() + 128);
    let mut replaced = 0;
    for line in template.lines() {
        if let Some(rest) = line.strip_prefix(&prefix) {
            out.push_str("ExecStart=");
            out.push_str(exe);
            for word in extra {
                out.push(' ');
                out.push_str(word);
            }
            out.push(' ');
            out.push_str(rest);
            replaced += 1;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if replaced != 1 {
        return Err(CliError::Coded(
            exit::OTHER,
            "the built-in unit template has no single ExecStart line (a packaging bug)".into(),
        ));
    }
    Ok(out)
}

/// The words of the unit's `ExecStart` line (the first one).
fn exec_start(unit: &str) -> Vec<String> {
    unit.lines()
        .find_map(|l| l.trim().strip_prefix("ExecStart="))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The value after `option` among the command's words, before the command
/// (`host`) itself.
fn option_value(words: &[String], option: &str) -> Option<String> {
    let end = words
        .iter()
        .position(|w| w == "host")
        .unwrap_or(words.len());
    words[..end]
        .windows(2)
        .find(|w| w[0] == option)
        .map(|w| w[1].clone())
}

/// Write `text` to `path` atomically (temporary file, then rename), mode 0644.
fn write_unit(path: &Path, text: &str) -> Result<(), CliError> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |what: &str, e: std::io::Error| {
        CliError::Coded(
            exit::OTHER,
            format!("cannot {what} {}: {e}", path.display()),
        )
    };
    let dir = path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(|e| fail("create the directory of", e))?;
    let tmp = dir.join(format!(".{UNIT}.tmp{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    Ok(())
}

/// Why systemd cannot be asked now, or `None` when it can.
fn systemd_unavailable() -> Option<String> {
    if !in_path("systemctl") {
        return Some("systemctl is not installed".into());
    }
    // sd_booted(): systemd creates this directory when it is PID 1.
    if !Path::new("/run/systemd/system").is_dir() {
        return Some("systemd is not running on this machine (it is not PID 1)".into());
    }
    None
}

/// Whether `program` is an executable file in a directory of `$PATH`.
fn in_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path).any(|d| {
                std::fs::metadata(d.join(program))
                    .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false)
            })
        })
        .unwrap_or(false)
}

/// Run `systemctl [--user] ARGS`; on failure, its message.
fn systemctl(scope: Scope, args: &[&str]) -> Result<String, String> {
    let out = scope
        .systemctl()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run systemctl: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        Err(format!(
            "'{} {}' failed: {}",
            scope.systemctl_text(),
            args.join(" "),
            if first.is_empty() {
                stdout.as_str()
            } else {
                first
            }
        ))
    }
}

/// The configuration directory and secret store the unit's host uses.
fn service_config(
    scope: Scope,
    config_dir: Option<PathBuf>,
    store: Option<SecretStoreKind>,
) -> Result<(PathBuf, Option<SecretStoreKind>), CliError> {
    match scope {
        Scope::System => Ok((PathBuf::from(SYSTEM_STATE_DIR), Some(SecretStoreKind::File))),
        Scope::User => Ok((
            match config_dir {
                Some(d) => d,
                None => super::default_config_dir()?,
            },
            store,
        )),
    }
}

/// `service install [--user|--system] [--unit-dir DIR] [--rendezvous URL]`.
fn install(
    s: &ServiceScope,
    config_dir: Option<PathBuf>,
    store: Option<SecretStoreKind>,
    rendezvous: Option<String>,
) -> Result<(), CliError> {
    let scope = scope_of(s);
    if scope == Scope::System {
        if config_dir.is_some() || store.is_some() {
            return Err(CliError::Usage(format!(
                "the system service always uses --config-dir {SYSTEM_STATE_DIR} and the file \
                 secret store: leave out --config-dir and --secret-store"
            )));
        }
        let writes_system_files = s.unit_dir.is_none() || rendezvous.is_some();
        if writes_system_files && !is_root() {
            return Err(CliError::Usage(
                "installing the system service needs root: sudo latchkey service install --system"
                    .into(),
            ));
        }
    }
    if let Some(url) = &rendezvous {
        latchkey_session::transport::signaling::check_url(url)
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| {
            CliError::Coded(
                exit::OTHER,
                format!("cannot tell where this latchkey binary is: {e}"),
            )
        })?;
    if scope == Scope::System {
        check_root_owned(&exe)?;
    }
    // The user unit names the options given here; the system unit has its own.
    let mut extra = Vec::new();
    if scope == Scope::User {
        if let Some(d) = &config_dir {
            let abs = std::path::absolute(d)
                .map_err(|e| CliError::Usage(format!("bad --config-dir {}: {e}", d.display())))?;
            extra.push("--config-dir".to_string());
            extra.push(unit_word(&abs)?.to_string());
        }
        if let Some(kind) = store {
            extra.push("--secret-store".to_string());
            extra.push(kind.name().to_string());
        }
    }
    let template = match scope {
        Scope::System => SYSTEM_TEMPLATE,
        Scope::User => USER_TEMPLATE,
    };
    let text = render(template, &exe, &extra)?;
    let path = unit_dir(scope, s.unit_dir.as_deref())?.join(UNIT);
    write_unit(&path, &text)?;
    println!("Wrote the {} unit {}", scope.name(), path.display());

    let (dir, store) = service_config(scope, config_dir, store)?;
    match rendezvous {
        Some(url) => {
            remember_rendezvous(scope, &dir, store, &url)?;
            println!("Its host will use the rendezvous server {url}");
        }
        None => {
            if let Ok(None) = configured_rendezvous(&dir, store) {
                println!(
                    "Note: no rendezvous server is configured in {} yet: the service waits \
                     for one; install again with --rendezvous URL to set it",
                    dir.display()
                );
            }
        }
    }

    let enable_hint = |unit_path: &Path| {
        let copy = match (s.unit_dir.is_some(), scope) {
            (false, _) => String::new(),
            (true, Scope::System) => format!("cp {} {SYSTEM_UNIT_DIR}/ && ", unit_path.display()),
            (true, Scope::User) => {
                format!("cp {} ~/.config/systemd/user/ && ", unit_path.display())
            }
        };
        format!(
            "{copy}{sc} daemon-reload && {sc} enable --now {UNIT}",
            sc = scope.systemctl_text()
        )
    };
    if s.unit_dir.is_some() {
        return Err(CliError::Coded(
            exit::NOT_ENABLED,
            format!(
                "not enabled: --unit-dir is not where systemd looks; to enable it: {}",
                enable_hint(&path)
            ),
        ));
    }
    if let Some(why) = systemd_unavailable() {
        return Err(CliError::Coded(
            exit::NOT_ENABLED,
            format!(
                "wrote the unit but could not enable it: {why}; once systemd runs, enable it with: {}",
                enable_hint(&path)
            ),
        ));
    }
    // Restart rather than start: a host already running (the package enables
    // and starts the system service) takes the new unit and rendezvous now.
    let enabled = systemctl(scope, &["daemon-reload"])
        .and_then(|_| systemctl(scope, &["enable", UNIT]))
        .and_then(|_| systemctl(scope, &["restart", UNIT]));
    if let Err(why) = enabled {
        return Err(CliError::Coded(
            exit::NOT_ENABLED,
            format!(
                "wrote the unit but could not enable it: {why}; try: {}",
                enable_hint(&path)
            ),
        ));
    }
    println!(
        "Enabled and (re)started {UNIT} ({}); see '{} status {UNIT}' and 'latchkey service status'",
        scope.name(),
        scope.systemctl_text()
    );
    if scope == Scope::User {
        println!(
            "To keep it running when you are logged out: loginctl enable-linger {}",
            std::env::var("USER").unwrap_or_else(|_| "$USER".into())
        );
    }
    Ok(())
}

/// Why `mode` (of a file owned by `uid`) lets someone other than root
/// replace what is there, or `None` when only root can. A directory that is
/// writable by others is accepted only with the sticky bit (like `/tmp`):
/// then nobody else may rename or remove root's entries in it.
fn not_root_only(uid: u32, mode: u32, is_dir: bool) -> Option<String> {
    if uid != 0 {
        return Some(format!("is owned by uid {uid}, not root"));
    }
    let sticky = is_dir && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky {
        return Some(format!(
            "is {} (mode {:o})",
            if mode & 0o002 != 0 {
                "world-writable"
            } else {
                "group-writable"
            },
            mode & 0o7777
        ));
    }
    None
}

/// The system service runs `exe` as root at every boot: refuse a binary
/// that anyone but root could replace, itself or through a directory above it.
fn check_root_owned(exe: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::MetadataExt;
    let refuse = |path: &Path, why: String| {
        CliError::Usage(format!(
            "refusing to install the system service: {} {why}, so someone other than root could \
             replace what root runs at boot; install Latchkey properly first (scripts/package.sh, \
             then apt install ./Latchkey_*.deb; or install -o root -g root -m 0755 {} \
             /usr/local/bin/latchkey) and run that binary's 'service install --system'",
            path.display(),
            exe.display()
        ))
    };
    let mut path = Some(exe);
    while let Some(p) = path {
        let meta = std::fs::metadata(p).map_err(|e| {
            CliError::Coded(exit::OTHER, format!("cannot check {}: {e}", p.display()))
        })?;
        if p == exe && !meta.is_file() {
            return Err(refuse(p, "is not a regular file".into()));
        }
        if let Some(why) = not_root_only(meta.uid(), meta.mode(), meta.is_dir()) {
            return Err(refuse(p, why));
        }
        path = p.parent();
    }
    Ok(())
}

/// Remember the rendezvous URL in the service's configuration.
fn remember_rendezvous(
    scope: Scope,
    dir: &Path,
    store: Option<SecretStoreKind>,
    url: &str,
) -> Result<(), CliError> {
    if scope == Scope::System && !dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                CliError::Coded(exit::OTHER, format!("cannot create {}: {e}", dir.display()))
            })?;
    }
    let mut config = Config::open(dir, store)?;
    let url = url.to_string();
    config.update(|s, _| {
        s.rendezvous = Some(url);
        Ok(((), vec![]))
    })?;
    Ok(())
}

/// The rendezvous URL configured in `dir`: `Err` when it cannot be read.
fn configured_rendezvous(
    dir: &Path,
    store: Option<SecretStoreKind>,
) -> Result<Option<String>, latchkey_store::Error> {
    Ok(Config::open(dir, store)?.settings().rendezvous.clone())
}

/// `service uninstall [--user|--system] [--unit-dir DIR]`.
fn uninstall(s: &ServiceScope) -> Result<(), CliError> {
    let scope = scope_of(s);
    if scope == Scope::System && s.unit_dir.is_none() && !is_root() {
        return Err(CliError::Usage(
            "removing the system service needs root: sudo latchkey service uninstall --system"
                .into(),
        ));
    }
    let path = unit_dir(scope, s.unit_dir.as_deref())?.join(UNIT);
    let ask_systemd = s.unit_dir.is_none() && systemd_unavailable().is_none();
    let mut config_dir = None;
    if let Ok(text) = std::fs::read_to_string(&path) {
        config_dir = option_value(&exec_start(&text), "--config-dir");
    }
    if ask_systemd {
        // A unit that is not loaded cannot be stopped: not an error here.
        if let Err(why) = systemctl(scope, &["disable", "--now", UNIT]) {
            eprintln!("latchkey: note: {why}");
        }
    }
    match std::fs::remove_file(&path) {
        Ok(()) => println!("Removed the {} unit {}", scope.name(), path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "No {} unit at {}: nothing to remove",
                scope.name(),
                path.display()
            )
        }
        Err(e) => {
            return Err(CliError::Coded(
                exit::OTHER,
                format!("cannot remove {}: {e}", path.display()),
            ))
        }
    }
    if ask_systemd {
        if let Err(why) = systemctl(scope, &["daemon-reload"]) {
            eprintln!("latchkey: note: {why}");
        }
    }
    let kept = match (scope, config_dir) {
        (Scope::System, _) => SYSTEM_STATE_DIR.to_string(),
        (Scope::User, Some(d)) => d,
        (Scope::User, None) => "the default configuration directory".into(),
    };
    println!(
        "The host's state is kept in {kept} (delete it to forget this device's ID and secrets)"
    );
    Ok(())
}

/// One service, as `service status --json` reports it.
#[derive(Debug, Serialize)]
struct ServiceReport {
    /// `system` or `user`.
    scope: &'static str,
    /// Where the unit file is (or would be).
    unit_file: String,
    /// Whether it exists.
    installed: bool,
    /// Whether a running systemd could be asked (never with `--unit-dir`).
    systemd_running: bool,
    /// `systemctl is-active`: `active`, `inactive`, `failed`, ...; null when not asked.
    active: Option<String>,
    /// `systemctl is-enabled`: `enabled`, `disabled`, ...; null when not asked.
    enabled: Option<String>,
    /// The host's configuration directory (from the unit's ExecStart).
    config_dir: String,
    /// `file` or `keyring`.
    secret_store: &'static str,
    /// The control socket: `answering`, `not_running`, or `no_access` (this
    /// user cannot reach it; the system service's is root's).
    host: &'static str,
}

/// `service status [--user|--system] [--unit-dir DIR] [--json]`.
fn status(s: &ServiceScope, json: bool) -> Result<(), CliError> {
    let scopes = match (s.system, s.user) {
        (true, _) => vec![Scope::System],
        (_, true) => vec![Scope::User],
        _ if s.unit_dir.is_some() => {
            return Err(CliError::Usage(
                "--unit-dir needs --user or --system (both units are called latchkey.service)"
                    .into(),
            ))
        }
        _ => vec![Scope::System, Scope::User],
    };
    let mut reports = Vec::new();
    for scope in scopes {
        reports.push(report(scope, s.unit_dir.as_deref())?);
    }
    if json {
        let mut object = serde_json::Map::new();
        for r in &reports {
            let value = serde_json::to_value(r).map_err(|e| CliError::Other(e.into()))?;
            object.insert(r.scope.to_string(), value);
        }
        return print_json(&object);
    }
    for r in reports {
        println!(
            "{} service: {}",
            r.scope,
            if r.installed {
                format!("installed ({})", r.unit_file)
            } else {
                format!("not installed (no {})", r.unit_file)
            }
        );
        match (&r.active, &r.enabled) {
            (Some(a), Some(e)) => println!("  systemd: {a}, {e}"),
            _ if r.systemd_running => println!("  systemd: not asked (--unit-dir)"),
            _ => println!("  systemd: not running here, cannot ask"),
        }
        println!(
            "  config dir: {} ({} secret store)",
            r.config_dir, r.secret_store
        );
        println!(
            "  host: {}",
            match r.host {
                "answering" => "answering on its control socket",
                "no_access" => "cannot tell: its control socket is not reachable as this user",
                _ => "not running",
            }
        );
    }
    Ok(())
}

fn report(scope: Scope, given_dir: Option<&Path>) -> Result<ServiceReport, CliError> {
    let path = unit_dir(scope, given_dir)?.join(UNIT);
    let text = std::fs::read_to_string(&path).ok();
    let words = text.as_deref().map(exec_start).unwrap_or_default();
    let (default_dir, default_store) = match scope {
        Scope::System => (PathBuf::from(SYSTEM_STATE_DIR), SecretStoreKind::File),
        Scope::User => (super::default_config_dir()?, SecretStoreKind::Keyring),
    };
    let config_dir = option_value(&words, "--config-dir")
        .map(PathBuf::from)
        .unwrap_or(default_dir);
    let secret_store = match option_value(&words, "--secret-store").as_deref() {
        Some("file") => SecretStoreKind::File,
        Some("keyring") => SecretStoreKind::Keyring,
        _ => default_store,
    };
    let systemd_running = systemd_unavailable().is_none();
    let ask = systemd_running && given_dir.is_none();
    // `is-active` and `is-enabled` exit non-zero for "inactive" and "disabled":
    // the answer is on stdout either way.
    let query = |what: &str| -> Option<String> {
        if !ask {
            return None;
        }
        let out = scope.systemctl().args([what, UNIT]).output().ok()?;
        let answer = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!answer.is_empty()).then_some(answer)
    };
    Ok(ServiceReport {
        scope: scope.name(),
        unit_file: path.display().to_string(),
        installed: text.is_some(),
        systemd_running,
        active: query("is-active"),
        enabled: query("is-enabled"),
        host: probe_host(&config_dir),
        config_dir: config_dir.display().to_string(),
        secret_store: secret_store.name(),
    })
}

/// Whether a host answers on the control socket of `config_dir`: one
/// read-only request, bounded by a timeout.
fn probe_host(config_dir: &Path) -> &'static str {
    use std::os::unix::net::UnixStream;
    let path = control_socket::locate(config_dir);
    let mut stream = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return "no_access",
        Err(_) => return "not_running",
    };
    let asked = (|| {
        let timeout = Some(Duration::from_secs(3));
        stream.set_read_timeout(timeout)?;
        stream.set_write_timeout(timeout)?;
        let mut line =
            serde_json::to_string(&ControlRequest::Requests).map_err(std::io::Error::other)?;
        line.push('\n');
        stream.write_all(line.as_bytes())?;
        let mut answer = String::new();
        BufReader::new(std::io::Read::take(
            &stream,
            control_socket::MAX_LINE as u64 * 16,
        ))
        .read_line(&mut answer)?;
        serde_json::from_str::<ControlResponse>(&answer).map_err(std::io::Error::other)
    })();
    match asked {
        Ok(r) if r.ok => "answering",
        // The host answers, but not to this user.
        Ok(r) if r.code == Some(ErrorCode::Forbidden) => "no_access",
        _ => "not_running",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_with_the_binary_and_options() {
        let unit = render(SYSTEM_TEMPLATE, Path::new("/opt/lk/bin/latchkey"), &[]).expect("render");
        assert!(unit.contains(
            "\nExecStart=/opt/lk/bin/latchkey --config-dir /var/lib/latchkey --secret-store file host --display auto --wait-for-rendezvous\n"
        ));
        assert!(!unit.contains(PACKAGED_BINARY));
        let words = exec_start(&unit);
        assert_eq!(
            option_value(&words, "--config-dir").as_deref(),
            Some(SYSTEM_STATE_DIR)
        );
        assert_eq!(
            option_value(&words, "--secret-store").as_deref(),
            Some("file")
        );
        let user = render(
            USER_TEMPLATE,
            Path::new("/usr/local/bin/latchkey"),
            &["--config-dir".into(), "/home/a/lk".into()],
        )
        .expect("render");
        let words = exec_start(&user);
        assert_eq!(
            words,
            [
                "/usr/local/bin/latchkey",
                "--config-dir",
                "/home/a/lk",
                "host",
                "--display",
                "auto",
                "--wait-for-rendezvous"
            ]
        );
        assert_eq!(option_value(&words, "--secret-store"), None);
        // The template must have exactly one ExecStart naming the packaged binary.
        assert!(render("[Service]\nExecStart=/bin/true\n", Path::new("/x"), &[]).is_err());
    }

    #[test]
    fn unit_words_are_plain_absolute_paths() {
        for ok in ["/usr/bin/latchkey", "/opt/a-b/c_d/e.f+g@h"] {
            assert_eq!(unit_word(Path::new(ok)).ok(), Some(ok));
        }
        for bad in [
            "relative/latchkey",
            "/a b/latchkey",
            "/a%n",
            "/a$HOME",
            "/a\\b",
            "/a\"b",
        ] {
            assert!(unit_word(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_root_may_replace_the_system_binary() {
        assert_eq!(not_root_only(0, 0o100755, false), None);
        assert_eq!(not_root_only(0, 0o40755, true), None);
        // /tmp: world-writable but sticky.
        assert_eq!(not_root_only(0, 0o41777, true), None);
        assert!(not_root_only(1000, 0o100755, false).is_some_and(|w| w.contains("uid 1000")));
        assert!(not_root_only(0, 0o100775, false).is_some_and(|w| w.contains("group-writable")));
        assert!(not_root_only(0, 0o100757, false).is_some_and(|w| w.contains("world-writable")));
        // The sticky bit protects a directory's entries, not a file.
        assert!(not_root_only(0, 0o101777, false).is_some());
        assert!(not_root_only(0, 0o40777, true).is_some());
        assert!(not_root_only(1000, 0o41777, true).is_some());
    }

    #[test]
    fn options_after_the_command_do_not_count() {
        let words: Vec<String> = ["/x", "host", "--config-dir", "/nope"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(option_value(&words, "--config-dir"), None);
        assert_eq!(exec_start("[Service]\nType=simple\n"), Vec::<String>::new());
    }
}
