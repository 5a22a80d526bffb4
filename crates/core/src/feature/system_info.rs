//! The host's system information (`system_info`): OS, kernel, CPU, memory,
//! disks, displays, uptime, network interfaces, logged-in users and the
//! Latchkey version, asked for by the viewer on the `system_info` channel.
//! The report travels as JSON text in pieces ([`super::text_pieces`]), so a
//! machine with many disks or addresses is never cut short; the viewer
//! accepts at most [`MAX_REPORT`] bytes of it.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The system information feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "system_info",
    access: Access::Needs(Permission::SystemInfo),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Largest report either side accepts, in bytes of JSON.
pub const MAX_REPORT: usize = 256 * 1024;

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Ask for the host's system information (answered with `Report`
    /// pieces, or `Refused`).
    GetSystemInfo {
        /// Echoed in the answer.
        id: u64,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// A piece of the [`SystemInfo`] report, as JSON text.
    Report {
        /// The request's id.
        id: u64,
        /// The text, or a piece of it.
        text: String,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// The host could not gather it.
    Failed {
        /// The request's id.
        id: u64,
        /// Why.
        reason: String,
    },
    /// The session's permissions do not allow it.
    Refused {
        /// What was refused (`system_info`).
        what: String,
        /// The permission it needs.
        permission: String,
    },
}

/// What the host reports about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SystemInfo {
    /// The operating system.
    pub os: Os,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// Host name.
    pub hostname: String,
    /// The processor.
    pub cpu: Cpu,
    /// Memory and swap.
    pub memory: Memory,
    /// Mounted disks.
    pub disks: Vec<Disk>,
    /// The monitors of the shared desktop.
    pub displays: Vec<Display>,
    /// Seconds since boot.
    pub uptime_secs: u64,
    /// Network interfaces.
    pub interfaces: Vec<Interface>,
    /// Users logged in (the utmp records of user processes).
    pub users: Vec<LoggedInUser>,
    /// The host's Latchkey version.
    pub latchkey_version: String,
}

/// The operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostOs"))]
#[serde(deny_unknown_fields)]
pub struct Os {
    /// Its name (`Debian GNU/Linux`).
    pub name: String,
    /// Its version (`12`).
    pub version: String,
    /// Name, version and code name in one (`Debian GNU/Linux 12 (bookworm)`).
    pub pretty: String,
    /// The processor architecture (`x86_64`).
    pub arch: String,
}

/// The processor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostCpu"))]
#[serde(deny_unknown_fields)]
pub struct Cpu {
    /// Model name.
    pub model: String,
    /// Logical cores (what `nproc --all` counts).
    pub logical_cores: u32,
    /// Physical cores, when known.
    pub physical_cores: Option<u32>,
    /// Load average over 1, 5 and 15 minutes.
    pub load: [f64; 3],
}

/// Memory and swap, in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostMemory"))]
#[serde(deny_unknown_fields)]
pub struct Memory {
    /// Total memory (`MemTotal`).
    pub total: u64,
    /// Memory available to new programs (`MemAvailable`).
    pub available: u64,
    /// Total swap.
    pub swap_total: u64,
    /// Free swap.
    pub swap_free: u64,
}

/// One mounted disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostDisk"))]
#[serde(deny_unknown_fields)]
pub struct Disk {
    /// Where it is mounted.
    pub mount: String,
    /// The file system type (`ext4`).
    pub filesystem: String,
    /// Size in bytes.
    pub total: u64,
    /// Bytes available to unprivileged users.
    pub free: u64,
}

/// One monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostDisplay"))]
#[serde(deny_unknown_fields)]
pub struct Display {
    /// Its output name (`HDMI-1`).
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Left edge on the desktop.
    pub x: i32,
    /// Top edge on the desktop.
    pub y: i32,
    /// Whether it is the primary monitor.
    pub primary: bool,
}

/// One network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostInterface"))]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Its name (`eth0`).
    pub name: String,
    /// Its hardware address (`00:00:00:00:00:00` for loopback).
    pub mac: String,
    /// Its addresses with prefix length (`192.168.1.20/24`, `fe80::1/64`).
    pub addresses: Vec<String>,
}

/// One logged-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "HostUser"))]
#[serde(deny_unknown_fields)]
pub struct LoggedInUser {
    /// Login name.
    pub name: String,
    /// Terminal or display (`tty2`, `:0`, `pts/1`).
    pub line: String,
    /// Where from, for a remote login (empty for a local one).
    pub host: String,
    /// Login time, Unix seconds.
    pub since: u64,
}

/// Why a report was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Over [`MAX_REPORT`].
    #[error("the host's system information is over the {MAX_REPORT}-byte limit")]
    TooLarge,
    /// Not a report.
    #[error("the host's system information is malformed")]
    Malformed,
}

/// A report as it arrives in pieces: [`Assembly::push`] each, then
/// [`Assembly::finish`] after the last.
#[derive(Debug, Default)]
pub struct Assembly {
    text: String,
}

impl Assembly {
    /// Add a piece; refuses once the whole would pass [`MAX_REPORT`].
    pub fn push(&mut self, piece: &str) -> Result<(), ReportError> {
        if self.text.len() + piece.len() > MAX_REPORT {
            return Err(ReportError::TooLarge);
        }
        self.text.push_str(piece);
        Ok(())
    }

    /// The report the pieces make.
    pub fn finish(self) -> Result<SystemInfo, ReportError> {
        serde_json::from_str(&self.text).map_err(|_| ReportError::Malformed)
    }
}

/// The pieces of `info`'s report, each small enough for one message.
pub fn report_pieces(info: &SystemInfo) -> Result<Vec<String>, ReportError> {
    let text = serde_json::to_string(info).map_err(|_| ReportError::Malformed)?;
    if text.len() > MAX_REPORT {
        return Err(ReportError::TooLarge);
    }
    Ok(super::text_pieces(&text)
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// What `/etc/os-release` says of the OS (each `None` when it is silent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `NAME`.
    pub name: Option<String>,
    /// `VERSION_ID`.
    pub version: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty: Option<String>,
}

/// Read the text of an os-release file (`KEY=value` lines, values maybe
/// quoted; comments and other lines skipped).
pub fn os_release(text: &str) -> OsRelease {
    let mut out = OsRelease::default();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value)
            .replace("\\\"", "\"")
            .to_string();
        let slot = match key {
            "NAME" => &mut out.name,
            "VERSION_ID" => &mut out.version,
            "PRETTY_NAME" => &mut out.pretty,
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    out
}

/// Size of one glibc `struct utmp` record on Linux (x86_64 and aarch64).
pub const UTMP_RECORD: usize = 384;

/// The logged-in users in the bytes of a utmp file (`/run/utmp`): its
/// `USER_PROCESS` records, in file order. A short last record is ignored.
pub fn parse_utmp(bytes: &[u8]) -> Vec<LoggedInUser> {
    const USER_PROCESS: i16 = 7;
    fn text(field: &[u8]) -> String {
        let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
        String::from_utf8_lossy(&field[..end]).into_owned()
    }
    bytes
        .chunks_exact(UTMP_RECORD)
        .filter(|r| i16::from_ne_bytes([r[0], r[1]]) == USER_PROCESS)
        .map(|r| LoggedInUser {
            line: text(&r[8..40]),
            name: text(&r[44..76]),
            host: text(&r[76..332]),
            since: u64::from(u32::from_ne_bytes([r[340], r[341], r[342], r[343]])),
        })
        .filter(|u| !u.name.is_empty())
        .collect()
}
