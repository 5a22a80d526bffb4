//! Remote print (`print`), on a reliable ordered channel of its own: while a
//! session holds `print` and its viewer asked for it (`start`), the host
//! offers a CUPS printer named after the viewer; what is printed to it
//! reaches the viewer as a PDF (CUPS's filters make the PDF, the Latchkey
//! backend hands it to the host, the host sends it here).
//!
//! - `start`: the host adds the queue and answers `started` with its name
//!   (or `failed`: no CUPS on the host; `refused`: no `print`).
//! - Each job: `job` (its number, title and size), then binary data frames
//!   (head: the job number, 8 bytes big-endian; see [`super::frame`]) until
//!   `size` bytes came.
//! - `stopped`: the queue is gone (the permission was withdrawn).
//!
//! Also here, pure: the queue's name and description for a viewer's name,
//! the name a job is saved under, and the one-line header the backend puts
//! before a job's PDF on the host's print socket.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, WireError, MAX_MESSAGE};
use crate::permission::Permission;
use crate::ErrorCode;

/// The print feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "print",
    access: Access::Needs(Permission::Print),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// The largest print job either side accepts, in bytes of PDF.
pub const MAX_JOB: u64 = 64 * 1024 * 1024;
/// Bytes of a data frame's head: the job number.
pub const FRAME_HEAD: usize = 8;
/// Bytes of PDF in one data frame (the tag byte and the head take the rest).
pub const FRAME_BYTES: usize = MAX_MESSAGE - 1 - FRAME_HEAD;
/// Every queue this product adds starts with this (the record of queues to
/// remove after a crash holds only such names).
pub const QUEUE_PREFIX: &str = "Latchkey-";
/// Longest viewer name a queue name carries, in characters.
const NAME_CHARS: usize = 48;

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Offer the printer on the host: `started`.
    Start {
        /// Request id.
        id: u64,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// The host offers this printer until the session ends.
    Started {
        /// The request.
        id: u64,
        /// The CUPS queue's name (`lp -d`).
        queue: String,
        /// What print dialogs show.
        description: String,
    },
    /// A job printed to it; its PDF follows in data frames.
    Job {
        /// Its number in this session.
        job: u64,
        /// Its title (the document's name, as the printing program gave it).
        title: String,
        /// Bytes of PDF that follow.
        size: u64,
    },
    /// The printer is gone (the permission was withdrawn).
    Stopped {
        /// Why.
        reason: String,
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

/// A message from the host: JSON, or a data frame (job number, bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMessage<'a> {
    /// A JSON message.
    Message(FromHost),
    /// Bytes of a job's PDF.
    Data {
        /// The job.
        job: u64,
        /// Some of its bytes.
        bytes: &'a [u8],
    },
}

/// Read one message of the host.
pub fn decode_from_host(bytes: &[u8]) -> Result<HostMessage<'_>, WireError> {
    match super::frame::split::<FRAME_HEAD>(&SPEC, bytes) {
        Some(frame) => {
            let (head, bytes) = frame?;
            Ok(HostMessage::Data {
                job: u64::from_be_bytes(head),
                bytes,
            })
        }
        None => super::parse(&SPEC, bytes).map(HostMessage::Message),
    }
}

/// A data frame of job `job`.
pub fn data_frame(job: u64, bytes: &[u8]) -> Vec<u8> {
    super::frame::data_frame(&job.to_be_bytes(), bytes)
}

/// The queue for a viewer called `viewer_name`: [`QUEUE_PREFIX`] and the
/// name's letters, digits, `-` and `_` (anything else becomes `_`; CUPS
/// names hold no spaces, `/` or `#`); `Latchkey-viewer` for an empty name.
pub fn queue_name(viewer_name: &str) -> String {
    let mut name: String = viewer_name
        .trim()
        .chars()
        .take(NAME_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('_').is_empty() {
        name = "viewer".into();
    }
    format!("{QUEUE_PREFIX}{name}")
}

/// What print dialogs show for the queue: `Latchkey - <viewer name>`.
pub fn description(viewer_name: &str) -> String {
    let name: String = viewer_name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_CHARS)
        .collect();
    if name.is_empty() {
        "Latchkey - viewer".into()
    } else {
        format!("Latchkey - {name}")
    }
}

/// Whether `name` is a queue this product could have added (the record of
/// queues to remove is read from disk: nothing else is ever removed).
pub fn is_our_queue(name: &str) -> bool {
    name.strip_prefix(QUEUE_PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 64
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// The file name a job is saved under, from its title: its last path part,
/// without control characters or `/`, ending in `.pdf`; `print-job.pdf` for
/// an empty title. (The saver adds ` (2)` ... when the name is taken.)
pub fn file_name(title: &str) -> String {
    let last = title.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    let stem = if clean.is_empty() { "print-job" } else { clean };
    if stem.to_ascii_lowercase().ends_with(".pdf") {
        stem.to_string()
    } else {
        let stem = stem
            .rsplit_once('.')
            .map_or(stem, |(s, _)| if s.is_empty() { stem } else { s });
        format!("{stem}.pdf")
    }
}

/// Largest header line the backend sends, in bytes (newline included).
pub const MAX_HEADER: usize = 4096;

/// What the backend tells the host before a job's PDF (one JSON line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobHeader {
    /// The queue it was printed to (`PRINTER`).
    pub queue: String,
    /// The job's title.
    pub title: String,
    /// Bytes of PDF that follow the line.
    pub size: u64,
}

/// Why a backend's header was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Over [`MAX_HEADER`], or a job over [`MAX_JOB`].
    #[error("the print job is too large")]
    TooLarge,
    /// Not a header.
    #[error("a malformed print job header")]
    Malformed,
}

impl JobHeader {
    /// Its line (JSON and a newline).
    pub fn encode(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).unwrap_or_default();
        line.push(b'\n');
        line
    }

    /// Read a header line (with or without its newline).
    pub fn parse(line: &[u8]) -> Result<JobHeader, HeaderError> {
        if line.len() > MAX_HEADER {
            return Err(HeaderError::TooLarge);
        }
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let header: JobHeader = serde_json::from_slice(line).map_err(|_| HeaderError::Malformed)?;
        if header.size > MAX_JOB {
            return Err(HeaderError::TooLarge);
        }
        if !is_our_queue(&header.queue) {
            return Err(HeaderError::Malformed);
        }
        Ok(header)
    }
}
