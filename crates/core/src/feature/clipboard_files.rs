//! Files through the clipboard (`clipboard_files`), on a reliable ordered
//! channel of its own that only names files: their bytes travel over the
//! file manager's channel (`files`), with its one copy mechanism.
//!
//! - `get`: the host reads the file list its clipboard offers (X11
//!   `text/uri-list`, else `x-special/gnome-copied-files`) and answers the
//!   paths; the viewer then copies them over `files`.
//! - `stage` then `offer`: the host makes a fresh folder in the session's
//!   staging folder (owned by the desktop's user, removed when the session
//!   ends), the viewer copies its files into it over `files`, and the host's
//!   clipboard then offers what that folder holds.
//!
//! **What `clipboard_files` alone lets the `files` channel do** ([`Scope`]):
//! read (`list`, `stat`, `read`) the paths the host's clipboard named at
//! the session's last `get`, and what the directories among them hold, and
//! the session's staging folder; write (`mkdir`, `write`, `symlink`) only
//! inside the staging folder; nothing else (no `remove`, no `rename`, no
//! other path). No path may pass through a symbolic link below the named
//! path it is reached from (a link is copied as a link, never followed): the
//! host checks that on the disk. With `file_manager` the clipboard adds
//! nothing: every path is open as before.
//!
//! Also here, pure: the `text/uri-list` and `x-special/gnome-copied-files`
//! forms (percent-escapes as RFC 8089 and GNOME write them).

use serde::{Deserialize, Serialize};

use super::files::{Base, HostPath, MAX_PATH};
use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;
use crate::ErrorCode;

/// The clipboard-files feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "clipboard_files",
    access: Access::Needs(Permission::ClipboardFiles),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Most files one clipboard names (more are refused as too large).
pub const MAX_FILES: usize = 1024;
/// Room for the paths of one `files` message, in bytes of JSON.
pub const PATHS_ROOM: usize = MAX_MESSAGE - 256;

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// What files does the host's clipboard offer? `files` pieces; the paths
    /// become what the session may read over `files` (see [`Scope`]).
    Get {
        /// Request id.
        id: u64,
    },
    /// Make a fresh folder to put files in: `staged`.
    Stage {
        /// Request id.
        id: u64,
    },
    /// Offer on the host's clipboard everything a folder made by `stage`
    /// holds: `offered`.
    Offer {
        /// Request id.
        id: u64,
        /// The folder, as `staged` named it.
        dir: String,
    },
}

impl FromViewer {
    /// Its request id.
    pub fn id(&self) -> u64 {
        match self {
            FromViewer::Get { id } | FromViewer::Stage { id } | FromViewer::Offer { id, .. } => *id,
        }
    }

    /// Its kind, as refusals and the audit log name it.
    pub fn kind(&self) -> &'static str {
        match self {
            FromViewer::Get { .. } => "clipboard_files_get",
            FromViewer::Stage { .. } => "clipboard_files_stage",
            FromViewer::Offer { .. } => "clipboard_files_offer",
        }
    }
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// Absolute host paths the clipboard offers (none: it holds no files).
    Files {
        /// The request.
        id: u64,
        /// Some of the paths.
        paths: Vec<String>,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// The folder to copy files into (an absolute host path).
    Staged {
        /// The request.
        id: u64,
        /// The folder.
        dir: String,
    },
    /// The host's clipboard now offers these files.
    Offered {
        /// The request.
        id: u64,
        /// How many.
        count: usize,
    },
    /// The request failed.
    Failed {
        /// The request.
        id: u64,
        /// For a program.
        code: ErrorCode,
        /// For a person.
        message: String,
    },
    /// A request the session's permissions do not allow.
    Refused {
        /// The request.
        id: u64,
        /// What was refused.
        what: String,
        /// The permission it needs.
        permission: String,
    },
}

/// Paths cut into pieces that each fit in one `files` message (at least one
/// piece, maybe empty).
pub fn pack_paths(paths: Vec<String>) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    let mut room = PATHS_ROOM;
    for path in paths {
        let n = serde_json::to_string(&path).map_or(usize::MAX, |s| s.len() + 1);
        if n > PATHS_ROOM {
            continue;
        }
        if n > room {
            out.push(Vec::new());
            room = PATHS_ROOM;
        }
        room -= n;
        if let Some(last) = out.last_mut() {
            last.push(path);
        }
    }
    out
}

/// Bytes a `file://` URI carries as they are; every other byte is escaped.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,=:@".contains(&b)
}

/// `file://` URI of an absolute path, percent-escaped.
pub fn file_uri(path: &str) -> String {
    let mut out = String::from("file://");
    for &b in path.as_bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `text/uri-list` of absolute paths (CRLF after each line, RFC 2483).
pub fn encode_uri_list(paths: &[String]) -> String {
    paths.iter().map(|p| file_uri(p) + "\r\n").collect()
}

/// An `x-special/gnome-copied-files` value: `copy`, then one URI a line.
pub fn encode_gnome_copied_files(paths: &[String]) -> String {
    let mut out = String::from("copy");
    for p in paths {
        out.push('\n');
        out.push_str(&file_uri(p));
    }
    out
}

/// Why a clipboard's file list was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// A URI of another scheme or host (`http://…`, `file://server/…`).
    #[error("'{0}' is not a local file")]
    NotLocal(String),
    /// A bad percent-escape, a path that is not UTF-8, not absolute, or
    /// holds `..` or control characters.
    #[error("'{0}' is not a path this host can copy")]
    BadPath(String),
    /// More than [`MAX_FILES`] files.
    #[error("the clipboard names more than {MAX_FILES} files")]
    TooMany,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The absolute path a `file:` URI names (`file:///p`, `file://localhost/p`,
/// `file:/p`), percent-escapes decoded, normalised as [`HostPath`] reads it.
pub fn path_of_uri(uri: &str) -> Result<String, UriError> {
    let bad = || UriError::BadPath(uri.to_string());
    let rest = uri
        .strip_prefix("file:")
        .ok_or_else(|| UriError::NotLocal(uri.to_string()))?;
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let slash = after.find('/').ok_or_else(bad)?;
            let host = &after[..slash];
            if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
                return Err(UriError::NotLocal(uri.to_string()));
            }
            &after[slash..]
        }
        None => rest,
    };
    let mut bytes = Vec::with_capacity(path.len());
    let mut it = path.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hi = it.next().and_then(hex).ok_or_else(bad)?;
            let lo = it.next().and_then(hex).ok_or_else(bad)?;
            bytes.push(hi << 4 | lo);
        } else {
            bytes.push(b);
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parsed = HostPath::parse(&text).map_err(|_| bad())?;
    if parsed.base != Base::Root || text.len() > MAX_PATH {
        return Err(bad());
    }
    Ok(parsed.to_wire())
}

/// The paths of a `text/uri-list` (comments and blank lines skipped).
pub fn decode_uri_list(text: &str) -> Result<Vec<String>, UriError> {
    let lines = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let mut out = Vec::new();
    for line in lines {
        if out.len() == MAX_FILES {
            return Err(UriError::TooMany);
        }
        out.push(path_of_uri(line)?);
    }
    Ok(out)
}

/// The paths of an `x-special/gnome-copied-files` value (its first line,
/// `copy` or `cut`, is the action: a cut is pasted as a copy).
pub fn decode_gnome_copied_files(text: &str) -> Result<Vec<String>, UriError> {
    let body = match text.split_once('\n') {
        Some((action, rest)) if matches!(action.trim(), "copy" | "cut") => rest,
        _ if matches!(text.trim(), "copy" | "cut") => "",
        _ => text,
    };
    decode_uri_list(body)
}

/// How a `files` request with `clipboard_files` alone reaches a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `list`, `stat`, `read`.
    Read,
    /// `mkdir`, `write`, `symlink`.
    Write,
}

/// What `clipboard_files` alone opens on the `files` channel (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The paths the host's clipboard named at the last `get`.
    roots: Vec<HostPath>,
    /// The session's staging folder, once made.
    staging: Option<HostPath>,
}

impl Scope {
    /// The clipboard named these paths (they replace the last ones).
    pub fn set_roots(&mut self, paths: &[String]) {
        self.roots = paths
            .iter()
            .filter_map(|p| HostPath::parse(p).ok())
            .filter(|p| p.base == Base::Root)
            .collect();
    }

    /// The session's staging folder.
    pub fn set_staging(&mut self, dir: &str) {
        self.staging = HostPath::parse(dir).ok().filter(|p| p.base == Base::Root);
    }

    /// The staging folder, if made.
    pub fn staging(&self) -> Option<&HostPath> {
        self.staging.as_ref()
    }

    /// Whether `path` may be reached so; if so, the path it is reached from
    /// (a named path or the staging folder): every directory from that one
    /// down to `path`'s parent must be a real directory, not a link.
    pub fn allows(&self, reach: Reach, path: &HostPath) -> Option<HostPath> {
        let under = |root: &HostPath, strictly: bool| {
            path.base == root.base
                && path.parts.len() >= root.parts.len() + usize::from(strictly)
                && path.parts.starts_with(&root.parts)
        };
        if let Some(s) = self.staging.as_ref() {
            // The folder itself may be read (looked at), only what is in it written.
            if under(s, reach == Reach::Write) {
                return Some(s.clone());
            }
        }
        if reach == Reach::Read {
            return self.roots.iter().find(|r| under(r, false)).cloned();
        }
        None
    }
}

/// The directories a request passes through below `from` on its way to
/// `path`: `from` itself (when `path` is below it) and each one after it,
/// down to `path`'s parent. The host checks each is a directory, not a link.
pub fn passes_through(from: &HostPath, path: &HostPath) -> Vec<HostPath> {
    (from.parts.len()..path.parts.len())
        .map(|n| HostPath {
            base: path.base,
            parts: path.parts[..n].to_vec(),
        })
        .collect()
}

/// What a `files` request asks of [`Scope`] when `file_manager` is not granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asks<'a> {
    /// To reach this path so.
    Path(Reach, &'a str),
    /// Nothing more: it goes on a transfer whose path was checked when it opened.
    Transfer,
    /// What `clipboard_files` never allows (remove, rename).
    Never,
}

/// What `message` asks of the scope.
pub fn asks(message: &super::files::FromViewer) -> Asks<'_> {
    use super::files::FromViewer as F;
    match message {
        F::List { path, .. } | F::Stat { path, .. } | F::Read { path, .. } => {
            Asks::Path(Reach::Read, path)
        }
        F::Mkdir { path, .. } | F::Write { path, .. } | F::Symlink { path, .. } => {
            Asks::Path(Reach::Write, path)
        }
        F::Ack { .. } | F::Resume { .. } | F::Data { .. } | F::Commit { .. } | F::Cancel { .. } => {
            Asks::Transfer
        }
        F::Remove { .. } | F::Rename { .. } => Asks::Never,
    }
}
