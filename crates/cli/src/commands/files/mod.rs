//! `latchkey ls`, `cp`, `mkdir`, `rm`, `mv`: the file manager, with scp's
//! conventions (`ID:PATH` names a path on a host, `~` the home of the user
//! whose desktop it shares). Each command logs in like `connect` (a saved
//! login first), runs over `session.files()` and leaves; failures carry an
//! `ErrorCode` (a permission refusal: exit 3, `permission`).
//!
//! - this file: the arguments, the session, the simple commands, errors.
//! - [`copy`]: `cp`, its plan (trees walked first, for the totals) and progress.

use std::time::SystemTime;

use clap::Args;
use serde_json::json;

use latchkey_core::feature::files::{HostPath, Kind, Location};
use latchkey_core::ErrorCode;
use latchkey_session::features::files::viewer::{Files, FilesError};
use latchkey_session::features::files::Failure;
use latchkey_session::viewer::{self, Session};
use latchkey_store::Config;

use super::print_json;
use super::session::{connect_options, report_failure, runtime};
use crate::cli::{ConnectTarget, LoginArgs};
use crate::exit::{self, CliError};

mod copy;

/// How to log in, as for `connect` (the host's ID is in the paths).
#[derive(Debug, Args)]
pub struct Login {
    /// The login options.
    #[command(flatten)]
    pub login: LoginArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ls ID:PATH`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// `ID:PATH` (`ID:` alone is the home).
    pub path: String,
    #[command(flatten)]
    pub login: Login,
}

/// `cp [-r] SRC... DST`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Copy directories and what they hold (symlinks as links).
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Sources, then the destination; one side `ID:PATH`.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub login: Login,
}

/// `mkdir ID:PATH`.
#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// `ID:PATH`.
    pub path: String,
    #[command(flatten)]
    pub login: Login,
}

/// `rm [-r] ID:PATH`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove a directory with what it holds.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// `ID:PATH`.
    pub path: String,
    #[command(flatten)]
    pub login: Login,
}

/// `mv ID:OLD ID:NEW`.
#[derive(Debug, Args)]
pub struct MvArgs {
    /// `ID:OLD`.
    pub from: String,
    /// `ID:NEW` (the same host).
    pub to: String,
    #[command(flatten)]
    pub login: Login,
}

fn usage(code: ErrorCode, message: String) -> FilesError {
    Failure::new(code, message).into()
}

/// `ID:PATH` split and its path checked.
pub(crate) fn remote(text: &str) -> Result<(String, String), FilesError> {
    match Location::parse(text) {
        Location::Remote { id, path } => {
            HostPath::parse(&path)
                .map_err(|e| usage(ErrorCode::BadInput, format!("{text}: {e}")))?;
            Ok((id, path))
        }
        Location::Local(_) => Err(usage(
            ErrorCode::BadInput,
            format!("'{text}' names no host: write ID:PATH"),
        )),
    }
}

/// A failure printed (JSON on stdout with `--json`) and its exit code.
pub(crate) fn report(e: &FilesError, json: bool) -> CliError {
    let code = e.code();
    if !json {
        return CliError::Coded(exit::for_code(code), e.to_string());
    }
    let v = json!({"ok": false, "error": code.name(), "message": e.to_string()});
    if let Err(err) = print_json(&v) {
        return err;
    }
    eprintln!("latchkey: {e}");
    CliError::Reported(exit::for_code(code))
}

/// Log in to host `id` and run `work` on its files; the session is closed after.
fn with_files<T>(
    config: &mut Config,
    id: &str,
    login: &Login,
    work: impl AsyncFnOnce(&Files) -> Result<T, FilesError>,
) -> Result<T, CliError> {
    let target = ConnectTarget {
        id: id.to_string(),
        login: login.login.clone(),
    };
    with_session(
        config,
        &target,
        login.json,
        async move |session: &Session| work(session.files()).await,
    )
}

/// Log in to `target` and run `work` on the session (a feature whose
/// failures are `FilesError`s: the file manager, files through the
/// clipboard); the session is closed after.
pub(crate) fn with_session<T>(
    config: &mut Config,
    target: &ConnectTarget,
    json: bool,
    work: impl AsyncFnOnce(&Session) -> Result<T, FilesError>,
) -> Result<T, CliError> {
    let options = connect_options(config, target, || Ok(()))?;
    let rt = runtime()?;
    let outcome = rt.block_on(async {
        let (_, session) = viewer::connect(config, options).await.map_err(Err)?;
        let done = work(&session).await;
        session.close().await;
        done.map_err(Ok)
    });
    match outcome {
        Ok(v) => Ok(v),
        Err(Ok(e)) => Err(report(&e, json)),
        Err(Err(e)) => Err(report_failure(&e, json)),
    }
}

/// Check the arguments before connecting: a bad one is reported the same way.
pub(crate) fn checked<T>(json: bool, r: Result<T, FilesError>) -> Result<T, CliError> {
    r.map_err(|e| report(&e, json))
}

fn mode_text(kind: Kind, mode: u32) -> String {
    let k = match kind {
        Kind::Dir => 'd',
        Kind::Symlink => 'l',
        Kind::File => '-',
        Kind::Other => '?',
    };
    let mut s = String::from(k);
    for shift in [6u32, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// `latchkey ls ID:PATH [--json]`.
pub fn ls(config: &mut Config, args: LsArgs) -> Result<(), CliError> {
    let (id, path) = checked(args.login.json, remote(&args.path))?;
    let p = path.clone();
    let entries = with_files(config, &id, &args.login, async move |files: &Files| {
        files.list(&p).await
    })?;
    if args.login.json {
        return print_json(&json!({"ok": true, "path": path, "entries": entries}));
    }
    for e in entries {
        let when = u64::try_from(e.mtime)
            .ok()
            .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s))
            .map(|t| humantime::format_rfc3339_seconds(t).to_string())
            .unwrap_or_default();
        let link = e
            .target
            .as_ref()
            .map(|t| format!(" -> {t}"))
            .unwrap_or_default();
        println!(
            "{} {:>12}  {}  {}{}",
            mode_text(e.kind, e.mode),
            e.size,
            when,
            e.name,
            link
        );
    }
    Ok(())
}

fn simple_ok(json: bool, text: String) -> Result<(), CliError> {
    if json {
        print_json(&json!({"ok": true}))
    } else {
        println!("{text}");
        Ok(())
    }
}

/// `latchkey mkdir ID:PATH`.
pub fn mkdir(config: &mut Config, args: MkdirArgs) -> Result<(), CliError> {
    let (id, path) = checked(args.login.json, remote(&args.path))?;
    let p = path.clone();
    with_files(config, &id, &args.login, async move |files: &Files| {
        files.mkdir(&p).await
    })?;
    simple_ok(args.login.json, format!("Made {path}."))
}

/// `latchkey rm [-r] ID:PATH`.
pub fn rm(config: &mut Config, args: RmArgs) -> Result<(), CliError> {
    let (id, path) = checked(args.login.json, remote(&args.path))?;
    let (p, recursive) = (path.clone(), args.recursive);
    with_files(config, &id, &args.login, async move |files: &Files| {
        files.remove(&p, recursive).await
    })?;
    simple_ok(args.login.json, format!("Removed {path}."))
}

/// `latchkey mv ID:OLD ID:NEW`.
pub fn mv(config: &mut Config, args: MvArgs) -> Result<(), CliError> {
    let json = args.login.json;
    let (id, from) = checked(json, remote(&args.from))?;
    let (id2, to) = checked(json, remote(&args.to))?;
    if id.replace([' ', '-'], "") != id2.replace([' ', '-'], "") {
        return Err(report(
            &usage(
                ErrorCode::BadInput,
                "mv renames within one host: both paths need the same ID".into(),
            ),
            json,
        ));
    }
    let (f, t) = (from.clone(), to.clone());
    with_files(config, &id, &args.login, async move |files: &Files| {
        files.rename(&f, &t).await
    })?;
    simple_ok(json, format!("Renamed {from} to {to}."))
}

pub use copy::cp;
