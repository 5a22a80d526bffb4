//! `latchkey cp [-r] SRC... DST`: one side `ID:PATH`, either direction. The
//! sources are walked first into a plan (directories, files, links; links
//! are copied as links and never followed), so the progress bar knows the
//! total; then each step runs over `session.files()`. A file copy that
//! stopped part way goes on from its partial copy when repeated.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use latchkey_core::feature::files::{check_name, HostPath, Kind, Location};
use latchkey_core::ErrorCode;
use latchkey_session::features::files::viewer::{Copied, Files, FilesError};
use latchkey_session::features::files::Failure;
use latchkey_store::Config;

use super::{checked, remote, report, usage, with_files, CpArgs};
use crate::commands::print_json;
use crate::exit::CliError;

/// One step of a copy.
enum Step {
    /// Make this directory at the destination (fine if it is there).
    Dir(String, PathBuf),
    /// Copy a regular file of this size.
    File(String, PathBuf, u64),
    /// Make a symlink with this target.
    Link(String, PathBuf, String),
}

/// The direction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    Up,
    Down,
}

fn failure(code: ErrorCode, message: String) -> FilesError {
    usage(code, message)
}

fn local_io(path: &Path, e: &std::io::Error) -> FilesError {
    Failure::io(&path.display().to_string(), e).into()
}

/// A local name as the host will read it: UTF-8, no control characters.
fn host_name(path: &Path) -> Result<String, FilesError> {
    let name = path.file_name().ok_or_else(|| {
        failure(
            ErrorCode::BadInput,
            format!("{}: names no file", path.display()),
        )
    })?;
    let name = name.to_str().ok_or_else(|| {
        failure(
            ErrorCode::BadInput,
            format!("{}: the name is not UTF-8", path.display()),
        )
    })?;
    check_name(name)
        .map_err(|e| failure(ErrorCode::BadInput, format!("{}: {e}", path.display())))?;
    Ok(name.to_string())
}

fn join(remote: &str, name: &str) -> Result<String, FilesError> {
    let p = HostPath::parse(remote)
        .and_then(|p| p.join(name))
        .map_err(|e| failure(ErrorCode::BadInput, format!("{remote}/{name}: {e}")))?;
    Ok(p.to_wire())
}

/// Walk a local source into steps (upload).
fn plan_up(
    src: &Path,
    dst: String,
    recursive: bool,
    steps: &mut Vec<Step>,
) -> Result<(), FilesError> {
    let meta = std::fs::symlink_metadata(src).map_err(|e| local_io(src, &e))?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(src).map_err(|e| local_io(src, &e))?;
        let target = target.to_str().ok_or_else(|| {
            failure(
                ErrorCode::BadInput,
                format!("{}: the link's target is not UTF-8", src.display()),
            )
        })?;
        steps.push(Step::Link(dst, src.to_path_buf(), target.to_string()));
    } else if meta.is_dir() {
        if !recursive {
            return Err(failure(
                ErrorCode::IsDirectory,
                format!("{}: is a directory (use -r)", src.display()),
            ));
        }
        steps.push(Step::Dir(dst.clone(), src.to_path_buf()));
        let mut items: Vec<PathBuf> = std::fs::read_dir(src)
            .map_err(|e| local_io(src, &e))?
            .map(|i| i.map(|i| i.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| local_io(src, &e))?;
        items.sort();
        for item in items {
            let name = host_name(&item)?;
            plan_up(&item, join(&dst, &name)?, true, steps)?;
        }
    } else if meta.is_file() {
        steps.push(Step::File(dst, src.to_path_buf(), meta.len()));
    } else {
        return Err(failure(
            ErrorCode::BadInput,
            format!("{}: not a file, directory or link", src.display()),
        ));
    }
    Ok(())
}

/// Walk a host source into steps (download).
async fn plan_down(
    files: &Files,
    src: String,
    dst: PathBuf,
    recursive: bool,
    steps: &mut Vec<Step>,
) -> Result<(), FilesError> {
    let mut todo = vec![(src, dst, None)];
    while let Some((src, dst, known)) = todo.pop() {
        let entry = match known {
            Some(e) => e,
            None => files.stat(&src).await?,
        };
        match entry.kind {
            Kind::Symlink => steps.push(Step::Link(src, dst, entry.target.unwrap_or_default())),
            Kind::File => steps.push(Step::File(src, dst, entry.size)),
            Kind::Other => {
                return Err(failure(
                    ErrorCode::BadInput,
                    format!("{src}: not a file, directory or link"),
                ))
            }
            Kind::Dir => {
                if !recursive {
                    return Err(failure(
                        ErrorCode::IsDirectory,
                        format!("{src}: is a directory (use -r)"),
                    ));
                }
                steps.push(Step::Dir(src.clone(), dst.clone()));
                let mut entries = files.list(&src).await?;
                entries.sort_by(|a, b| b.name.cmp(&a.name));
                for e in entries {
                    if !e.valid_name || check_name(&e.name).is_err() {
                        return Err(failure(
                            ErrorCode::BadInput,
                            format!("{src}: holds a name that cannot be copied ({:?})", e.name),
                        ));
                    }
                    let s = join(&src, &e.name)?;
                    let d = dst.join(&e.name);
                    todo.push((s, d, Some(e)));
                }
            }
        }
    }
    Ok(())
}

/// Progress on a terminal: bytes, rate, time left; drawn at most 10 times a second.
struct Bar {
    total: u64,
    done: AtomicU64,
    start: Instant,
    drawn: Mutex<Option<Instant>>,
    on: bool,
}

impl Bar {
    fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if !self.on {
            return;
        }
        let mut drawn = self.drawn.lock().unwrap_or_else(|p| p.into_inner());
        if drawn.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && done < self.total {
            return;
        }
        *drawn = Some(Instant::now());
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let left = self.total.saturating_sub(done) as f64 / rate.max(1.0);
        let mib = |b: f64| b / 1048576.0;
        let width = 30usize;
        let filled = if self.total == 0 {
            width
        } else {
            (done as f64 / self.total as f64 * width as f64) as usize
        };
        eprint!(
            "\r[{}{}] {:.1}/{:.1} MiB  {:.1} MiB/s  ETA {:.0} s   ",
            "#".repeat(filled.min(width)),
            " ".repeat(width - filled.min(width)),
            mib(done as f64),
            mib(self.total as f64),
            mib(rate),
            left
        );
        let _ = std::io::stderr().flush();
    }
}

/// What a copy did, for the summary.
#[derive(Default)]
struct Summary {
    files: u64,
    dirs: u64,
    links: u64,
    copied: Copied,
}

async fn run_steps(
    files: &Files,
    way: Way,
    steps: Vec<Step>,
    bar: &Bar,
) -> Result<Summary, FilesError> {
    let mut s = Summary::default();
    let progress = |n: u64| bar.add(n);
    for step in steps {
        match (way, step) {
            (Way::Up, Step::Dir(remote, _)) => {
                match files.mkdir(&remote).await {
                    Err(e) if e.code() == ErrorCode::Exists => {
                        if files.stat(&remote).await?.kind != Kind::Dir {
                            return Err(failure(
                                ErrorCode::NotDirectory,
                                format!("{remote}: exists and is not a directory"),
                            ));
                        }
                    }
                    other => other?,
                }
                s.dirs += 1;
            }
            (Way::Down, Step::Dir(_, local)) => {
                match std::fs::create_dir(&local) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        if !std::fs::metadata(&local).is_ok_and(|m| m.is_dir()) {
                            return Err(failure(
                                ErrorCode::NotDirectory,
                                format!("{}: exists and is not a directory", local.display()),
                            ));
                        }
                    }
                    other => other.map_err(|e| local_io(&local, &e))?,
                }
                s.dirs += 1;
            }
            (Way::Up, Step::File(remote, local, _)) => {
                let c = files.upload(&local, &remote, &progress).await?;
                add(&mut s, c);
            }
            (Way::Down, Step::File(remote, local, _)) => {
                let c = files.download(&remote, &local, &progress).await?;
                add(&mut s, c);
            }
            (Way::Up, Step::Link(remote, _, target)) => {
                files.symlink(&remote, &target).await?;
                s.links += 1;
            }
            (Way::Down, Step::Link(_, local, target)) => {
                if std::fs::symlink_metadata(&local).is_ok_and(|m| !m.is_dir()) {
                    std::fs::remove_file(&local).map_err(|e| local_io(&local, &e))?;
                }
                std::os::unix::fs::symlink(&target, &local).map_err(|e| local_io(&local, &e))?;
                s.links += 1;
            }
        }
    }
    Ok(s)
}

fn add(s: &mut Summary, c: Copied) {
    s.files += 1;
    s.copied.size += c.size;
    s.copied.sent += c.sent;
    s.copied.resumed += c.resumed;
}

/// `latchkey cp [-r] SRC... DST`.
pub fn cp(config: &mut Config, args: CpArgs) -> Result<(), CliError> {
    let json = args.login.json;
    let mut paths = args.paths.clone();
    let dst = paths.pop().unwrap_or_default();
    let srcs = paths;
    let way = match Location::parse(&dst) {
        Location::Remote { .. } => Way::Up,
        Location::Local(_) => Way::Down,
    };
    // The host's ID and the host-side paths.
    let mut id = None;
    let mut remotes = Vec::new();
    for p in srcs.iter().chain([&dst]) {
        match Location::parse(p) {
            Location::Remote { .. } => {
                let (i, path) = checked(json, remote(p))?;
                let i = i.replace([' ', '-'], "");
                if id.as_ref().is_some_and(|known| *known != i) {
                    return Err(report(
                        &failure(
                            ErrorCode::BadInput,
                            "all ID:PATH names must be of one host".into(),
                        ),
                        json,
                    ));
                }
                id = Some(i);
                remotes.push(path);
            }
            Location::Local(_) => {}
        }
    }
    let one_side = match way {
        Way::Up => srcs
            .iter()
            .all(|s| matches!(Location::parse(s), Location::Local(_))),
        Way::Down => srcs
            .iter()
            .all(|s| matches!(Location::parse(s), Location::Remote { .. })),
    };
    let Some(id) = id.filter(|_| one_side) else {
        return Err(report(
            &failure(
                ErrorCode::BadInput,
                "cp copies between this computer and one host: exactly one side is ID:PATH".into(),
            ),
            json,
        ));
    };
    let recursive = args.recursive;
    let start = Instant::now();
    let bar_on = !json && std::io::stderr().is_terminal();
    let summary = with_files(config, &id, &args.login, async move |files: &Files| {
        let mut steps = Vec::new();
        match way {
            Way::Up => {
                let dst = remotes.pop().unwrap_or_default();
                let dst_dir = match files.stat(&dst).await {
                    Ok(e) => e.kind == Kind::Dir,
                    Err(e) if e.code() == ErrorCode::NotFound => false,
                    Err(e) => return Err(e),
                };
                if srcs.len() > 1 && !dst_dir {
                    return Err(failure(
                        ErrorCode::NotDirectory,
                        format!("{dst}: copying several sources needs a directory"),
                    ));
                }
                for src in &srcs {
                    let src = Path::new(src);
                    let target = if dst_dir {
                        join(&dst, &host_name(src)?)?
                    } else {
                        dst.clone()
                    };
                    plan_up(src, target, recursive, &mut steps)?;
                }
            }
            Way::Down => {
                let dst = PathBuf::from(&dst);
                let dst_dir = std::fs::metadata(&dst).is_ok_and(|m| m.is_dir());
                if srcs.len() > 1 && !dst_dir {
                    return Err(failure(
                        ErrorCode::NotDirectory,
                        format!(
                            "{}: copying several sources needs a directory",
                            dst.display()
                        ),
                    ));
                }
                for src in remotes {
                    let target = if dst_dir {
                        let name = HostPath::parse(&src)
                            .ok()
                            .and_then(|p| p.name().map(str::to_string))
                            .unwrap_or_else(|| "home".into());
                        dst.join(name)
                    } else {
                        dst.clone()
                    };
                    plan_down(files, src, target, recursive, &mut steps).await?;
                }
            }
        }
        let total = steps
            .iter()
            .map(|s| match s {
                Step::File(_, _, n) => *n,
                _ => 0,
            })
            .sum();
        let bar = Bar {
            total,
            done: AtomicU64::new(0),
            start: Instant::now(),
            drawn: Mutex::new(None),
            on: bar_on,
        };
        let done = run_steps(files, way, steps, &bar).await;
        if bar_on {
            eprintln!();
        }
        done
    })?;
    let secs = start.elapsed().as_secs_f64();
    let mib_s = summary.copied.sent as f64 / 1048576.0 / secs.max(0.001);
    if json {
        return print_json(&json!({
            "ok": true,
            "files": summary.files,
            "dirs": summary.dirs,
            "links": summary.links,
            "bytes": summary.copied.size,
            "sent": summary.copied.sent,
            "resumed": summary.copied.resumed,
            "seconds": secs,
            "mib_per_s": mib_s,
        }));
    }
    println!(
        "Copied {} files, {} directories, {} links: {:.1} MiB ({:.1} MiB sent, {:.1} MiB resumed) in {:.1} s ({:.1} MiB/s).",
        summary.files,
        summary.dirs,
        summary.links,
        summary.copied.size as f64 / 1048576.0,
        summary.copied.sent as f64 / 1048576.0,
        summary.copied.resumed as f64 / 1048576.0,
        secs,
        mib_s
    );
    Ok(())
}
