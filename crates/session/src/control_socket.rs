//! The host's local control socket, `<config-dir>/control.sock` (mode 0600):
//! one JSON object per line each way. `latchkey requests|accept|deny` use it.
//!
//! ```text
//! {"cmd":"requests"}                                        -> {"ok":true,"requests":[...]}
//! {"cmd":"accept","id":"1","profile":null,"deny_permissions":["clipboard"]} -> {"ok":true}
//! {"cmd":"deny","id":"1"}                                   -> {"ok":true}
//! anything else                                             -> {"ok":false,"code":"...","error":"..."}
//! ```

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;

use latchkey_core::permission::Permission;

use crate::requests::{Decision, RemotePointer, RemotePointers, RequestInfo, Requests};
use crate::Error;

/// Longest request line accepted.
pub const MAX_LINE: usize = 64 * 1024;
/// Clients served at once.
const MAX_CLIENTS: usize = 32;

/// A request on the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum ControlRequest {
    /// List pending requests.
    Requests,
    /// Accept one.
    Accept {
        /// Request id.
        id: String,
        /// Another profile to grant.
        #[serde(default)]
        profile: Option<String>,
        /// Permissions to withdraw.
        #[serde(default)]
        deny_permissions: Vec<String>,
    },
    /// Deny one.
    Deny {
        /// Request id.
        id: String,
    },
    /// Pointers of viewers that may show theirs but not move the host's.
    Pointers,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResponse {
    /// Whether it worked.
    pub ok: bool,
    /// For `requests`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<RequestInfo>>,
    /// For `pointers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointers: Option<Vec<RemotePointer>>,
    /// Machine-readable failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn failure(code: &str, error: impl Into<String>) -> ControlResponse {
    ControlResponse {
        ok: false,
        requests: None,
        pointers: None,
        code: Some(code.into()),
        error: Some(error.into()),
    }
}

fn success() -> ControlResponse {
    ControlResponse {
        ok: true,
        requests: None,
        pointers: None,
        code: None,
        error: None,
    }
}

/// Answer one request line.
pub fn handle_line(line: &[u8], requests: &Requests, pointers: &RemotePointers) -> ControlResponse {
    let req: ControlRequest = match serde_json::from_slice(line) {
        Ok(r) => r,
        Err(e) => return failure("malformed", format!("not a control request: {e}")),
    };
    match req {
        ControlRequest::Requests => ControlResponse {
            requests: Some(requests.list()),
            ..success()
        },
        ControlRequest::Accept {
            id,
            profile,
            deny_permissions,
        } => {
            let mut withdraw = Vec::new();
            for name in &deny_permissions {
                match name.parse::<Permission>() {
                    Ok(p) => withdraw.push(p),
                    Err(e) => return failure("invalid", e.to_string()),
                }
            }
            if requests.decide(&id, Decision::Accept { profile, withdraw }) {
                success()
            } else {
                failure("unknown_request", format!("no pending request '{id}'"))
            }
        }
        ControlRequest::Pointers => ControlResponse {
            pointers: Some(pointers.list()),
            ..success()
        },
        ControlRequest::Deny { id } => {
            if requests.decide(&id, Decision::Deny) {
                success()
            } else {
                failure("unknown_request", format!("no pending request '{id}'"))
            }
        }
    }
}

/// The socket's path in a config dir.
pub fn socket_path(config_dir: &Path) -> PathBuf {
    config_dir.join("control.sock")
}

/// Serve the control socket until the task is dropped.
pub async fn serve(
    path: PathBuf,
    requests: Requests,
    pointers: RemotePointers,
) -> Result<(), Error> {
    if path.exists() {
        // A stale socket from a host that died; a live host would still answer.
        if UnixStream::connect(&path).await.is_ok() {
            return Err(Error::Io(format!(
                "another host is already running with {}",
                path.display()
            )));
        }
        let _ = std::fs::remove_file(&path);
    }
    let listener = UnixListener::bind(&path)
        .map_err(|e| Error::Io(format!("cannot listen on {}: {e}", path.display())))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::Io(format!("cannot protect {}: {e}", path.display())))?;
    }
    let limit = Arc::new(Semaphore::new(MAX_CLIENTS));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "control socket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let (requests, pointers) = (requests.clone(), pointers.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = serve_client(stream, &requests, &pointers).await {
                tracing::debug!(error = %e, "control client ended");
            }
        });
    }
}

async fn serve_client(
    stream: UnixStream,
    requests: &Requests,
    pointers: &RemotePointers,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(16 * MAX_LINE as u64));
    loop {
        let mut line = Vec::new();
        let n = tokio::time::timeout(
            Duration::from_secs(30),
            (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line),
        )
        .await
        .map_err(|_| std::io::Error::other("idle"))??;
        if n == 0 {
            return Ok(());
        }
        let response = if line.len() > MAX_LINE {
            let r = failure(
                "too_large",
                format!("a request line is at most {MAX_LINE} bytes"),
            );
            write_response(&mut write, &r).await?;
            return Ok(());
        } else {
            handle_line(&line, requests, pointers)
        };
        write_response(&mut write, &response).await?;
    }
}

async fn write_response(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    r: &ControlResponse,
) -> std::io::Result<()> {
    let mut text = serde_json::to_string(r).map_err(std::io::Error::other)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await
}

/// Client side: send one request to the host running on `config_dir`.
pub async fn call(config_dir: &Path, request: &ControlRequest) -> Result<ControlResponse, Error> {
    let path = socket_path(config_dir);
    let stream = UnixStream::connect(&path).await.map_err(|_| {
        Error::Io(format!(
            "no host is running for {} (start one with 'latchkey host')",
            config_dir.display()
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_checked() {
        let r = Requests::default();
        let p = RemotePointers::default();
        let code = |line: &[u8]| handle_line(line, &r, &p).code;
        assert_eq!(code(b"garbage").as_deref(), Some("malformed"));
        assert_eq!(
            code(br#"{"cmd":"deny","id":"9"}"#).as_deref(),
            Some("unknown_request")
        );
        assert_eq!(
            code(br#"{"cmd":"accept","id":"9","deny_permissions":["fly"]}"#).as_deref(),
            Some("invalid")
        );
        let ok = handle_line(br#"{"cmd":"requests"}"#, &r, &p);
        assert!(ok.ok && ok.requests == Some(vec![]));
        p.set("VIEW-ER", 5, 6);
        let ok = handle_line(br#"{"cmd":"pointers"}"#, &r, &p);
        assert_eq!(ok.pointers.map(|l| (l[0].x, l[0].y)), Some((5, 6)));
    }
}
