//! The client's end: [`locate`] the socket of the host for a configuration
//! directory and [`call`] it with one request.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::auth;
use super::protocol::{ControlRequest, ControlResponse, MAX_LINE};
use super::server::socket_path;
use crate::Error;

/// Where the system service's socket is (see `packaging/systemd/latchkey.service`).
pub const SYSTEM_SOCKET: &str = "/run/latchkey/control.sock";

/// Where a client finds the host for `config_dir`: the configured path if a
/// socket is there; else the system service's, when `config_dir` is the
/// system service's state directory or nothing listens in `config_dir`.
pub fn locate(config_dir: &Path) -> PathBuf {
    let own = socket_path(config_dir);
    let system = PathBuf::from(SYSTEM_SOCKET);
    if !own.exists() && system.exists() {
        system
    } else {
        own
    }
}

/// Client side: send one request to the host running on `config_dir`.
pub async fn call(config_dir: &Path, request: &ControlRequest) -> Result<ControlResponse, Error> {
    let path = locate(config_dir);
    let stream = UnixStream::connect(&path).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            Error::Forbidden(auth::refusal(auth::effective_uid(), &path))
        } else {
            Error::Io(format!(
                "no host is running for {} (start one with 'latchkey host')",
                config_dir.display()
            ))
        }
    })?;
    let (read, mut write) = stream.into_split();
    let mut text = serde_json::to_string(request).map_err(|e| Error::Io(e.to_string()))?;
    text.push('\n');
    write
        .write_all(text.as_bytes())
        .await
        .map_err(|e| Error::Io(e.to_string()))?;
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(16 * MAX_LINE as u64));
    tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut line))
        .await
        .map_err(|_| Error::Io("the host did not answer".into()))?
        .map_err(|e| Error::Io(e.to_string()))?;
    serde_json::from_str(&line).map_err(|e| Error::Io(format!("bad answer from the host: {e}")))
}
