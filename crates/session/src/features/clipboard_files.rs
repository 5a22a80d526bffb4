//! Files through the clipboard (`clipboard_files`): the `clipboard_files`
//! channel names files, the `files` channel moves them (`transfer`, the one
//! copy mechanism). On the host the clipboard offers a file list as
//! `text/uri-list` and `x-special/gnome-copied-files`; what the viewer may
//! read and write over `files` with this permission alone is the rule of
//! `latchkey_core::feature::clipboard_files::Scope`, kept per session in
//! `files::shared`. The wire messages are in that core module.

use latchkey_core::feature::clipboard_files::{FromHost, FromViewer};
use latchkey_core::ErrorCode;

use crate::features::files::Failure;

/// The X11 targets a file list is offered and read in, in order of preference.
pub const URI_LIST: &str = "text/uri-list";
/// GNOME's (and Nautilus's) form: `copy` then one URI a line.
pub const GNOME_COPIED_FILES: &str = "x-special/gnome-copied-files";

/// The host half.
pub mod host {
    use tokio::sync::oneshot;

    use latchkey_core::feature::clipboard_files::{
        decode_gnome_copied_files, decode_uri_list, encode_gnome_copied_files, encode_uri_list,
        pack_paths, UriError,
    };
    use latchkey_core::feature::files::{HostPath, Kind};
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use super::{ErrorCode, Failure, FromHost, FromViewer, GNOME_COPIED_FILES, URI_LIST};
    use crate::features::files::worker::{Op, Reply};
    use crate::host::desktop::{Desktop, Job};
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// One session's clipboard files.
    pub(crate) struct ClipboardFilesHost {
        ctx: FeatureContext,
        /// Folders staged so far (each `stage` makes the next).
        staged: u64,
    }

    fn uri_failure(e: UriError) -> Failure {
        let code = match e {
            UriError::TooMany => ErrorCode::TooLarge,
            UriError::NotLocal(_) | UriError::BadPath(_) => ErrorCode::BadInput,
        };
        Failure::new(code, format!("the host's clipboard: {e}"))
    }

    /// The files the host's clipboard offers (none: it offers no file list).
    pub(crate) async fn offered_files(desktop: &Desktop) -> Result<Vec<String>, Failure> {
        let (tx, rx) = oneshot::channel();
        desktop.send(Job::ClipboardRead(vec![URI_LIST, GNOME_COPIED_FILES], tx));
        let value = rx
            .await
            .map_err(|_| Failure::new(ErrorCode::Local, "the clipboard thread stopped"))?
            .map_err(|e| Failure::new(ErrorCode::Local, e))?;
        let Some((target, bytes)) = value else {
            return Ok(Vec::new());
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| Failure::new(ErrorCode::BadInput, "the host's clipboard: not UTF-8"))?;
        let paths = if target == URI_LIST {
            decode_uri_list(&text)
        } else {
            decode_gnome_copied_files(&text)
        };
        paths.map_err(uri_failure)
    }

    impl ClipboardFilesHost {
        async fn carry_out(
            &mut self,
            message: FromViewer,
            channel: &Control,
        ) -> Result<(), Failure> {
            let files = &self.ctx.files;
            match message {
                FromViewer::Get { id } => {
                    let paths = offered_files(&self.ctx.shared.desktop).await?;
                    files.scope().set_roots(&paths);
                    let pieces = pack_paths(paths);
                    let last = pieces.len() - 1;
                    for (i, paths) in pieces.into_iter().enumerate() {
                        let more = i < last;
                        let _ = channel.send(&FromHost::Files { id, paths, more }).await;
                    }
                }
                FromViewer::Stage { id } => {
                    self.staged += 1;
                    let dir = files.stage(self.staged, &self.ctx.shared.desktop).await?;
                    let _ = channel.send(&FromHost::Staged { id, dir }).await;
                }
                FromViewer::Offer { id, dir } => {
                    let staging = files.scope().staging().cloned();
                    let folder = HostPath::parse(&dir).ok().filter(|d| {
                        staging.as_ref().is_some_and(|s| {
                            d.base == s.base
                                && d.parts.len() == s.parts.len() + 1
                                && d.parts.starts_with(&s.parts)
                        })
                    });
                    let Some(folder) = folder else {
                        return Err(Failure::new(
                            ErrorCode::BadInput,
                            format!("{dir}: not a folder this session staged"),
                        ));
                    };
                    let worker = files.worker().await?;
                    let Reply::Entries { mut entries } =
                        worker.call(Op::List { path: dir.clone() }).await?
                    else {
                        return Err(Failure::new(ErrorCode::Local, "an unexpected reply"));
                    };
                    entries.retain(|e| e.valid_name && e.kind != Kind::Other);
                    entries.sort_by(|a, b| a.name.cmp(&b.name));
                    let mut paths = Vec::with_capacity(entries.len());
                    for e in entries {
                        let p = folder
                            .join(&e.name)
                            .map_err(|e| Failure::new(ErrorCode::BadInput, e.to_string()))?;
                        paths.push(p.to_wire());
                    }
                    if paths.is_empty() {
                        return Err(Failure::new(
                            ErrorCode::NotFound,
                            format!("{dir}: holds no files to offer"),
                        ));
                    }
                    let targets = vec![
                        (URI_LIST.to_string(), encode_uri_list(&paths).into_bytes()),
                        (
                            GNOME_COPIED_FILES.to_string(),
                            encode_gnome_copied_files(&paths).into_bytes(),
                        ),
                    ];
                    let (tx, rx) = oneshot::channel();
                    self.ctx
                        .shared
                        .desktop
                        .send(Job::ClipboardOffer(targets, tx));
                    rx.await
                        .map_err(|_| {
                            Failure::new(ErrorCode::Local, "the clipboard thread stopped")
                        })?
                        .map_err(|e| Failure::new(ErrorCode::Local, e))?;
                    let count = paths.len();
                    let _ = channel.send(&FromHost::Offered { id, count }).await;
                }
            }
            Ok(())
        }
    }

    impl FeatureHost for ClipboardFilesHost {
        const SPEC: &'static FeatureSpec = &feature::clipboard_files::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            ClipboardFilesHost {
                ctx: ctx.clone(),
                staged: 0,
            }
        }

        fn gate(message: &FromViewer) -> Gate {
            Gate::Checked(message.kind())
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let id = message.id();
            if let Err(f) = self.carry_out(message, channel).await {
                let (code, message) = (f.code, f.message);
                let _ = channel.send(&FromHost::Failed { id, code, message }).await;
            }
        }

        async fn refused(&mut self, message: FromViewer, channel: &Control) {
            let refusal = FromHost::Refused {
                id: message.id(),
                what: message.kind().into(),
                permission: feature::clipboard_files::SPEC
                    .permission()
                    .map(|p| p.name())
                    .unwrap_or_default()
                    .into(),
            };
            let _ = channel.send(&refusal).await;
        }
    }
}

/// The viewer half: `session.clipboard_files()`, and the two whole
/// operations every front end runs ([`viewer::ClipboardFiles::get_into`],
/// [`viewer::ClipboardFiles::put`]) over it and `session.files()`.
pub mod viewer {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::{ErrorCode, Failure, FromHost, FromViewer};
    use crate::features::files::transfer::{self, Summary};
    use crate::features::files::viewer::{Files, FilesError};
    use crate::viewer::link::FeatureLink;
    use crate::Error;

    /// The host's clipboard as files (the host refuses without `clipboard_files`).
    #[derive(Clone)]
    pub struct ClipboardFiles {
        link: FeatureLink,
        next_id: Arc<AtomicU64>,
    }

    /// What a `get` or `put` did.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Moved {
        /// The paths now on the clipboard (`put`: on the host) or copied
        /// (`get`: here), one for each file or folder the clipboard names.
        pub paths: Vec<String>,
        /// The copy's totals.
        pub summary: Summary,
    }

    fn failure(code: ErrorCode, message: String) -> FilesError {
        Failure::new(code, message).into()
    }

    /// `dir` must be a directory here.
    pub fn check_local_dir(dir: &Path) -> Result<(), FilesError> {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(failure(
                ErrorCode::NotDirectory,
                format!("{}: is not a directory", dir.display()),
            )),
            Err(e) => Err(Failure::io(&dir.display().to_string(), &e).into()),
        }
    }

    /// Each of `srcs` must be there (a file, a folder or a link).
    pub fn check_local_files(srcs: &[PathBuf]) -> Result<(), FilesError> {
        if srcs.is_empty() {
            return Err(failure(ErrorCode::BadInput, "no files to put".into()));
        }
        for src in srcs {
            std::fs::symlink_metadata(src)
                .map_err(|e| FilesError::from(Failure::io(&src.display().to_string(), &e)))?;
            transfer::host_name(src)?;
        }
        Ok(())
    }

    impl ClipboardFiles {
        pub(crate) fn new(link: FeatureLink) -> Self {
            ClipboardFiles {
                link,
                next_id: Arc::new(AtomicU64::new(0)),
            }
        }

        /// Send `message`, then the host's answers to it until `last` says done.
        async fn ask(&self, message: FromViewer) -> Result<Vec<FromHost>, FilesError> {
            let _turn = self.link.turn().await;
            let id = message.id();
            self.link.send(&message).await?;
            let mut answers = Vec::new();
            loop {
                let m = self.link.recv::<FromHost>().await?;
                let done = match &m {
                    FromHost::Files { id: got, more, .. } => *got == id && !more,
                    FromHost::Staged { id: got, .. }
                    | FromHost::Offered { id: got, .. }
                    | FromHost::Failed { id: got, .. }
                    | FromHost::Refused { id: got, .. } => *got == id,
                };
                match m {
                    FromHost::Refused {
                        id: got,
                        what,
                        permission,
                    } if got == id => return Err(FilesError::Refused { what, permission }),
                    FromHost::Failed {
                        id: got,
                        code,
                        message,
                    } if got == id => return Err(Failure::new(code, message).into()),
                    m => answers.push(m),
                }
                if done {
                    return Ok(answers);
                }
            }
        }

        fn id(&self) -> u64 {
            self.next_id.fetch_add(1, Ordering::Relaxed) + 1
        }

        /// The absolute host paths the host's clipboard offers (none: it
        /// holds no files). Reading them over `files` is allowed from now on.
        pub async fn list(&self) -> Result<Vec<String>, FilesError> {
            let id = self.id();
            let answers = self.ask(FromViewer::Get { id }).await?;
            Ok(answers
                .into_iter()
                .filter_map(|m| match m {
                    FromHost::Files { paths, .. } => Some(paths),
                    _ => None,
                })
                .flatten()
                .collect())
        }

        /// A fresh host folder to copy files into before [`offer`](Self::offer).
        pub async fn stage(&self) -> Result<String, FilesError> {
            let id = self.id();
            for m in self.ask(FromViewer::Stage { id }).await? {
                if let FromHost::Staged { dir, .. } = m {
                    return Ok(dir);
                }
            }
            Err(Error::Protocol("an unexpected answer".into()).into())
        }

        /// Offer what the staged `dir` holds on the host's clipboard: how many.
        pub async fn offer(&self, dir: &str) -> Result<usize, FilesError> {
            let id = self.id();
            let dir = dir.to_string();
            for m in self.ask(FromViewer::Offer { id, dir }).await? {
                if let FromHost::Offered { count, .. } = m {
                    return Ok(count);
                }
            }
            Err(Error::Protocol("an unexpected answer".into()).into())
        }

        /// Copy what the host's clipboard offers into the local folder `dir`
        /// (folders whole, links as links); the local paths it made.
        pub async fn get_into(
            &self,
            files: &Files,
            dir: &Path,
            progress: &(dyn Fn(u64) + Send + Sync),
        ) -> Result<Moved, FilesError> {
            check_local_dir(dir)?;
            let named = self.list().await?;
            if named.is_empty() {
                return Err(failure(
                    ErrorCode::Empty,
                    "the host's clipboard holds no files".into(),
                ));
            }
            let plan = transfer::plan_download(files, &named, dir, true).await?;
            let summary = transfer::run(files, &plan, progress).await?;
            let paths = named
                .iter()
                .filter_map(|p| p.rsplit('/').next())
                .map(|name| dir.join(name).to_string_lossy().into_owned())
                .collect();
            Ok(Moved { paths, summary })
        }

        /// Copy local `srcs` (files, folders whole, links as links) to the
        /// host and have its clipboard offer the copies.
        pub async fn put(
            &self,
            files: &Files,
            srcs: &[PathBuf],
            progress: &(dyn Fn(u64) + Send + Sync),
        ) -> Result<Moved, FilesError> {
            check_local_files(srcs)?;
            let dir = self.stage().await?;
            let plan = transfer::plan_upload(files, srcs, &dir, true).await?;
            let summary = transfer::run(files, &plan, progress).await?;
            self.offer(&dir).await?;
            let paths = srcs
                .iter()
                .map(|s| transfer::host_name(s).and_then(|n| transfer::join(&dir, &n)))
                .collect::<Result<_, _>>()?;
            Ok(Moved { paths, summary })
        }
    }
}
