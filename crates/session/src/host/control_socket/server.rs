//! The host's end: [`serve`] listens on the socket and gives each client
//! its own task ([`serve_client`]), which reads request lines and answers
//! them ([`handle_line_as`]; `admin` operations go to the host's configuration).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;

use latchkey_core::permission::Permission;
use latchkey_core::settings::SecretStoreKind;
use latchkey_core::ErrorCode;
use latchkey_store::ops::AdminOp;

use super::auth::{self, Access};
use super::protocol::{failure, success, ControlRequest, ControlResponse, MAX_LINE};
use crate::host::requests::{AnswerRefusal, RemotePointers, Requests, Saw};
use crate::Error;

/// Clients served at once.
const MAX_CLIENTS: usize = 32;

/// Answer one request line from a trusted caller (in-process, or a socket
/// client whose credentials allow changes).
pub fn handle_line(line: &[u8], requests: &Requests, pointers: &RemotePointers) -> ControlResponse {
    handle_line_as(line, requests, pointers, &Access::Full)
}

/// Answer one request line from a client with `access`.
pub fn handle_line_as(
    line: &[u8],
    requests: &Requests,
    pointers: &RemotePointers,
    access: &Access,
) -> ControlResponse {
    if let Access::Denied(why) = access {
        return failure(ErrorCode::Forbidden, why.clone());
    }
    let req: ControlRequest = match serde_json::from_slice(line) {
        Ok(r) => r,
        Err(e) => return failure(ErrorCode::Malformed, format!("not a control request: {e}")),
    };
    match req {
        ControlRequest::Requests => ControlResponse {
            requests: Some(requests.list()),
            ..success()
        },
        ControlRequest::Accept {
            id,
            viewer,
            requested_profile,
            profile,
            deny_permissions,
        } => {
            let mut withdraw = Vec::new();
            for name in &deny_permissions {
                match name.parse::<Permission>() {
                    Ok(p) => withdraw.push(p),
                    Err(e) => return failure(ErrorCode::Invalid, e.to_string()),
                }
            }
            let saw = Saw {
                viewer,
                profile: requested_profile,
            };
            match requests.accept(&id, &saw, profile, withdraw) {
                Ok(()) => success(),
                Err(AnswerRefusal::Unknown) => {
                    failure(ErrorCode::UnknownRequest, format!("no pending request '{id}'"))
                }
                Err(AnswerRefusal::Mismatch) => failure(
                    ErrorCode::RequestMismatch,
                    format!(
                        "request '{id}' is not from {} asking for '{}': look at it again before accepting",
                        saw.viewer, saw.profile
                    ),
                ),
            }
        }
        ControlRequest::Pointers => ControlResponse {
            pointers: Some(pointers.list()),
            ..success()
        },
        ControlRequest::Desktop => ControlResponse {
            desktop: Some(latchkey_media::session::report()),
            ..success()
        },
        ControlRequest::Deny { id } => {
            if requests.deny(&id) {
                success()
            } else {
                failure(
                    ErrorCode::UnknownRequest,
                    format!("no pending request '{id}'"),
                )
            }
        }
        ControlRequest::Admin { .. } => failure(
            ErrorCode::Unsupported,
            "this host takes no settings operations here (see serve)",
        ),
    }
}

/// The configuration a host applies `admin` operations to.
#[derive(Debug, Clone)]
pub struct AdminTarget {
    /// Its configuration directory.
    pub config_dir: PathBuf,
    /// Its secret store.
    pub store: Option<SecretStoreKind>,
}

/// Carry out an `admin` operation (off the async threads: Argon2 and the
/// keyring block). `access` was checked by the caller.
async fn admin(target: &AdminTarget, op: AdminOp) -> ControlResponse {
    let target = target.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut config = latchkey_store::Config::open(&target.config_dir, target.store)?;
        op.apply(&mut config)
    })
    .await;
    match done {
        Ok(Ok(result)) => ControlResponse {
            result: Some(result),
            ..success()
        },
        Ok(Err(e)) => failure(e.code(), e.to_string()),
        Err(e) => failure(ErrorCode::Local, format!("the operation stopped: {e}")),
    }
}

/// Where a host serving `config_dir` puts its socket: `LATCHKEY_CONTROL_SOCKET`
/// when set (the system unit sets `/run/latchkey/control.sock`, since its
/// state directory is root-only), else `control.sock` in the config dir.
pub fn socket_path(config_dir: &Path) -> PathBuf {
    match std::env::var_os(SOCKET_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => config_dir.join("control.sock"),
    }
}

/// The environment variable that moves the socket.
pub const SOCKET_ENV: &str = "LATCHKEY_CONTROL_SOCKET";

/// Serve the control socket until the task is dropped.
pub async fn serve(
    path: PathBuf,
    requests: Requests,
    pointers: RemotePointers,
    target: AdminTarget,
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
    let group = std::fs::read_to_string(auth::ETC_GROUP)
        .ok()
        .and_then(|text| auth::find_group(&text, auth::GROUP));
    // The group's members may connect only if the socket is the group's.
    let shared = match &group {
        Some(g) => match std::os::unix::fs::chown(&path, None, Some(g.gid)) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "cannot give the control socket to the '{}' group: only this user may use it",
                    auth::GROUP
                );
                false
            }
        },
        None => false,
    };
    let mode = socket_mode(shared);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::Io(format!("cannot protect {}: {e}", path.display())))?;
    }
    let host_uid = auth::effective_uid();
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
        let (requests, pointers, target) = (requests.clone(), pointers.clone(), target.clone());
        tokio::spawn(async move {
            let _permit = permit;
            // Decided once per connection: a change of group membership
            // applies from the next one (the CLI connects for every command).
            let access = match stream.peer_cred() {
                Ok(cred) => auth::access_from_files(cred.uid(), cred.gid(), host_uid),
                Err(e) => Access::Denied(format!(
                    "forbidden: the host cannot tell who is asking ({e}), so it answers nothing"
                )),
            };
            if let Err(e) = serve_client(stream, &requests, &pointers, &access, &target).await {
                tracing::debug!(error = %e, "control client ended");
            }
        });
    }
}

/// The socket file's mode: 0600 (the host's user only), or 0660 when the
/// socket belongs to the machine's `latchkey` group, whose members are meant
/// to use it (see the module docs). Never open to others.
pub fn socket_mode(group_owned: bool) -> u32 {
    if group_owned {
        0o660
    } else {
        0o600
    }
}

/// Answer one client until it hangs up, idles for 30 s or sends too much.
async fn serve_client(
    stream: UnixStream,
    requests: &Requests,
    pointers: &RemotePointers,
    access: &Access,
    target: &AdminTarget,
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
                ErrorCode::TooLarge,
                format!("a request line is at most {MAX_LINE} bytes"),
            );
            write_response(&mut write, &r).await?;
            return Ok(());
        } else {
            match serde_json::from_slice::<ControlRequest>(&line) {
                Ok(ControlRequest::Admin { op }) if access == &Access::Full => {
                    admin(target, op).await
                }
                _ => handle_line_as(&line, requests, pointers, access),
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::requests::RequestInfo;

    #[test]
    fn lines_are_checked() {
        let r = Requests::default();
        let p = RemotePointers::default();
        let code = |line: &[u8]| handle_line(line, &r, &p).code;
        assert_eq!(code(b"garbage"), Some(ErrorCode::Malformed));
        assert_eq!(
            code(br#"{"cmd":"deny","id":"9"}"#),
            Some(ErrorCode::UnknownRequest)
        );
        assert_eq!(
            code(br#"{"cmd":"accept","id":"9","viewer":"V","requested_profile":"default","deny_permissions":["fly"]}"#),
            Some(ErrorCode::Invalid)
        );
        let ok = handle_line(br#"{"cmd":"requests"}"#, &r, &p);
        assert!(ok.ok && ok.requests == Some(vec![]));
        p.set("VIEW-ER", 5, 6);
        let ok = handle_line(br#"{"cmd":"pointers"}"#, &r, &p);
        assert_eq!(ok.pointers.map(|l| (l[0].x, l[0].y)), Some((5, 6)));
    }

    #[test]
    fn an_accept_that_does_not_match_the_pending_request_is_refused() {
        use crate::host::requests::Seen;
        let r = Requests::default();
        let p = RemotePointers::default();
        let (id, mut rx) = r.add(
            RequestInfo {
                id: String::new(),
                viewer: "AAAA-AAAA-AAAA-AAAA".into(),
                viewer_name: "IT Support".into(),
                seen: Seen::FirstRequest,
                profile: "default".into(),
                addr: None,
                expires_in_s: 60,
            },
            Duration::from_secs(60),
        );
        let accept = |viewer: &str, profile: &str| {
            let line = serde_json::json!({
                "cmd": "accept", "id": id, "viewer": viewer, "requested_profile": profile,
            })
            .to_string();
            handle_line(line.as_bytes(), &r, &p)
        };
        let other = accept("BBBB-BBBB-BBBB-BBBB", "default");
        assert_eq!(other.code, Some(ErrorCode::RequestMismatch), "{other:?}");
        let wider = accept("AAAA-AAAA-AAAA-AAAA", "full_access");
        assert_eq!(wider.code, Some(ErrorCode::RequestMismatch));
        // An accept that does not say what it saw is not a control request.
        let bare = format!(r#"{{"cmd":"accept","id":"{id}"}}"#);
        assert_eq!(
            handle_line(bare.as_bytes(), &r, &p).code,
            Some(ErrorCode::Malformed)
        );
        assert!(rx.try_recv().is_err() && r.len() == 1, "still waiting");
        assert!(accept("AAAA-AAAA-AAAA-AAAA", "default").ok);
        assert!(rx.try_recv().is_ok());
    }

    #[test]
    fn denied_clients_may_neither_read_nor_change() {
        let r = Requests::default();
        let p = RemotePointers::default();
        let denied = Access::Denied("forbidden: not you".into());
        // Reads too (issue 10: pending requests hold viewers' names and
        // addresses), and garbage: a stranger learns nothing, not even the syntax.
        for line in [
            &br#"{"cmd":"deny","id":"1"}"#[..],
            br#"{"cmd":"accept","id":"1","viewer":"V","requested_profile":"default"}"#,
            br#"{"cmd":"accept","id":"1","viewer":"V","requested_profile":"default","deny_permissions":["fly"]}"#,
            br#"{"cmd":"requests"}"#,
            br#"{"cmd":"pointers"}"#,
            br#"{"cmd":"admin","op":{"op":"status"}}"#,
            b"nope",
        ] {
            let answer = handle_line_as(line, &r, &p, &denied);
            assert!(!answer.ok && answer.requests.is_none() && answer.pointers.is_none());
            assert_eq!(answer.code, Some(ErrorCode::Forbidden));
            assert_eq!(answer.error.as_deref(), Some("forbidden: not you"));
        }
        // Full access reaches the request registry.
        assert_eq!(
            handle_line_as(br#"{"cmd":"deny","id":"1"}"#, &r, &p, &Access::Full).code,
            Some(ErrorCode::UnknownRequest)
        );
    }

    #[test]
    fn socket_mode_follows_the_group() {
        assert_eq!(socket_mode(false), 0o600);
        assert_eq!(socket_mode(true), 0o660);
    }
}
