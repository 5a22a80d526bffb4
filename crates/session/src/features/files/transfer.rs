//! Copies of files and whole trees between this computer and the host over
//! `session.files()`, for every front end (the CLI's `cp`, the app's file
//! window). The sources are walked first into a [`Plan`] (folders, files,
//! links; links are copied as links and never followed), so progress knows
//! the total; then [`run`] carries out each step. A file copy that stopped
//! part way goes on from its partial copy when repeated.

use std::path::{Path, PathBuf};

use latchkey_core::feature::files::{check_name, HostPath, Kind};
use latchkey_core::ErrorCode;

use super::viewer::{Copied, Files, FilesError};
use super::Failure;

/// Which way a copy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From this computer to the host.
    Upload,
    /// From the host to this computer.
    Download,
}

/// One step of a copy: (host path, local path, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Make this folder at the destination (fine if it is there).
    Dir(String, PathBuf),
    /// Copy a regular file of this size.
    File(String, PathBuf, u64),
    /// Make a symlink with this target.
    Link(String, PathBuf, String),
}

/// What a copy will do, walked before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Which way.
    pub direction: Direction,
    /// The steps, folders before what they hold.
    pub steps: Vec<Step>,
}

impl Plan {
    /// The bytes of every file in it.
    pub fn bytes(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| match s {
                Step::File(_, _, n) => *n,
                _ => 0,
            })
            .sum()
    }
}

/// What a copy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files copied.
    pub files: u64,
    /// Folders made (or found there).
    pub dirs: u64,
    /// Links made.
    pub links: u64,
    /// Their bytes: in all, sent this time, kept from an earlier try.
    pub copied: Copied,
}

fn failure(code: ErrorCode, message: String) -> FilesError {
    Failure::new(code, message).into()
}

fn local_io(path: &Path, e: &std::io::Error) -> FilesError {
    Failure::io(&path.display().to_string(), e).into()
}

/// A local name as the host will read it: UTF-8, no control characters.
pub fn host_name(path: &Path) -> Result<String, FilesError> {
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

/// The host path of `name` inside the host folder `remote`.
pub fn join(remote: &str, name: &str) -> Result<String, FilesError> {
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

/// The plan for copying local `srcs` to the host path `dst`: into it when it
/// is a folder there (several sources need one), else to that name.
pub async fn plan_upload(
    files: &Files,
    srcs: &[PathBuf],
    dst: &str,
    recursive: bool,
) -> Result<Plan, FilesError> {
    let dst_dir = match files.stat(dst).await {
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
    let mut steps = Vec::new();
    for src in srcs {
        let target = if dst_dir {
            join(dst, &host_name(src)?)?
        } else {
            dst.to_string()
        };
        plan_up(src, target, recursive, &mut steps)?;
    }
    Ok(Plan {
        direction: Direction::Upload,
        steps,
    })
}

/// The plan for copying host paths `srcs` to the local `dst`: into it when
/// it is a folder here (several sources need one), else to that name.
pub async fn plan_download(
    files: &Files,
    srcs: &[String],
    dst: &Path,
    recursive: bool,
) -> Result<Plan, FilesError> {
    let dst_dir = std::fs::metadata(dst).is_ok_and(|m| m.is_dir());
    if srcs.len() > 1 && !dst_dir {
        return Err(failure(
            ErrorCode::NotDirectory,
            format!(
                "{}: copying several sources needs a directory",
                dst.display()
            ),
        ));
    }
    let mut steps = Vec::new();
    for src in srcs {
        let target = if dst_dir {
            let name = HostPath::parse(src)
                .ok()
                .and_then(|p| p.name().map(str::to_string))
                .unwrap_or_else(|| "home".into());
            dst.join(name)
        } else {
            dst.to_path_buf()
        };
        plan_down(files, src.clone(), target, recursive, &mut steps).await?;
    }
    Ok(Plan {
        direction: Direction::Download,
        steps,
    })
}

/// Carry out `plan`; `progress` hears the bytes of each chunk as it goes.
pub async fn run(
    files: &Files,
    plan: &Plan,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Summary, FilesError> {
    let mut s = Summary::default();
    let up = plan.direction == Direction::Upload;
    for step in &plan.steps {
        match step {
            Step::Dir(remote, _) if up => {
                match files.mkdir(remote).await {
                    Err(e) if e.code() == ErrorCode::Exists => {
                        if files.stat(remote).await?.kind != Kind::Dir {
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
            Step::Dir(_, local) => {
                match std::fs::create_dir(local) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        if !std::fs::metadata(local).is_ok_and(|m| m.is_dir()) {
                            return Err(failure(
                                ErrorCode::NotDirectory,
                                format!("{}: exists and is not a directory", local.display()),
                            ));
                        }
                    }
                    other => other.map_err(|e| local_io(local, &e))?,
                }
                s.dirs += 1;
            }
            Step::File(remote, local, _) => {
                let c = if up {
                    files.upload(local, remote, progress).await?
                } else {
                    files.download(remote, local, progress).await?
                };
                s.files += 1;
                s.copied.size += c.size;
                s.copied.sent += c.sent;
                s.copied.resumed += c.resumed;
            }
            Step::Link(remote, _, target) if up => {
                files.symlink(remote, target).await?;
                s.links += 1;
            }
            Step::Link(_, local, target) => {
                if std::fs::symlink_metadata(local).is_ok_and(|m| !m.is_dir()) {
                    std::fs::remove_file(local).map_err(|e| local_io(local, &e))?;
                }
                std::os::unix::fs::symlink(target, local).map_err(|e| local_io(local, &e))?;
                s.links += 1;
            }
        }
    }
    Ok(s)
}
