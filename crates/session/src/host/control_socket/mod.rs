//! The host's local control socket, `<config-dir>/control.sock`: one JSON
//! object per line each way. `latchkey requests|accept|deny` use it.
//!
//! ```text
//! {"cmd":"requests"}                                        -> {"ok":true,"requests":[...]}
//! {"cmd":"accept","id":"9f3c…","viewer":"ABCD-…","requested_profile":"default",
//!  "profile":null,"deny_permissions":["clipboard"]}          -> {"ok":true}
//! {"cmd":"deny","id":"9f3c…"}                               -> {"ok":true}
//! {"cmd":"admin","op":{"op":"set_interactive","mode":"never"}} -> {"ok":true,"result":null}
//! {"cmd":"admin","op":{"op":"status"}}                      -> {"ok":true,"result":{...status...}}
//! anything else                                             -> {"ok":false,"code":"...","error":"..."}
//! ```
//!
//! # Who may do what
//!
//! The kernel tells the host who is on the other end (`SO_PEERCRED`). Every
//! request, reading or changing (pending requests carry viewers' names and
//! addresses, the status the host's settings), is carried out only for root,
//! the host's own user, or a member of the `latchkey` group as `/etc/group`
//! and `/etc/passwd` say at the time of the connection. Anyone else gets
//! `{"ok":false,"code":"forbidden",...}` whatever it asks.
//!
//! The file system says the same first: the socket is 0660 with group
//! `latchkey` when that group exists on the machine (and the host may give
//! the socket to it), else 0600 (the host's user only). A client refused by
//! the file system gets [`Error::Forbidden`] from [`call`]. The config dir
//! around the default socket (0700) still gates who can reach it; the system
//! service's is in `/run/latchkey` (0755) for the group's sake.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;

use latchkey_core::permission::Permission;
use latchkey_core::settings::SecretStoreKind;
use latchkey_store::ops::AdminOp;

use crate::host::requests::{
    AnswerRefusal, RemotePointer, RemotePointers, RequestInfo, Requests, Saw,
};
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
    /// Accept one: only if it is still the request the person saw.
    Accept {
        /// Request id.
        id: String,
        /// The viewer's key fingerprint, as shown to the person accepting.
        viewer: String,
        /// The profile the viewer asked for, as shown.
        requested_profile: String,
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
    /// A settings operation on the host's own configuration (the desktop
    /// app uses it as the control panel of a host it does not run).
    Admin {
        /// What to do.
        op: AdminOp,
    },
}

impl ControlRequest {
    /// Whether the request changes anything on the host (a decision, a
    /// setting), as opposed to reading. Only trusted callers may send those
    /// (see the module docs). No wildcard arm: a new request must be classified.
    pub fn changes_anything(&self) -> bool {
        match self {
            ControlRequest::Requests | ControlRequest::Pointers => false,
            ControlRequest::Accept { .. } | ControlRequest::Deny { .. } => true,
            ControlRequest::Admin { op } => op.changes_anything(),
        }
    }
}

/// What the client on the other end of the socket may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Read and change: root, the host's own user, a `latchkey` group member.
    Full,
    /// Nothing; the reason is the answer to every request.
    Denied(String),
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
    /// For `admin`: what the operation returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
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
        result: None,
        code: Some(code.into()),
        error: Some(error.into()),
    }
}

fn success() -> ControlResponse {
    ControlResponse {
        ok: true,
        requests: None,
        pointers: None,
        result: None,
        code: None,
        error: None,
    }
}

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
        return failure("forbidden", why.clone());
    }
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
            viewer,
            requested_profile,
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
            let saw = Saw {
                viewer,
                profile: requested_profile,
            };
            match requests.accept(&id, &saw, profile, withdraw) {
                Ok(()) => success(),
                Err(AnswerRefusal::Unknown) => {
                    failure("unknown_request", format!("no pending request '{id}'"))
                }
                Err(AnswerRefusal::Mismatch) => failure(
                    "request_mismatch",
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
        ControlRequest::Deny { id } => {
            if requests.deny(&id) {
                success()
            } else {
                failure("unknown_request", format!("no pending request '{id}'"))
            }
        }
        ControlRequest::Admin { .. } => failure(
            "unsupported",
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
        Ok(Err(e)) => failure(latchkey_store::ops::error_code(&e), e.to_string()),
        Err(e) => failure("local", format!("the operation stopped: {e}")),
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
                "too_large",
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

/// Who may change things through the socket: the rule, and pure parsers for
/// the files it reads (`/etc/group`, `/etc/passwd`, `/proc/self/status`).
/// Only local files count: users and groups from a directory service (LDAP
/// through NSS) are not seen.
pub mod auth {
    use super::Access;

    /// Members of this group may change things.
    pub const GROUP: &str = "latchkey";
    /// Where groups are listed.
    pub const ETC_GROUP: &str = "/etc/group";
    /// Where users are listed.
    pub const ETC_PASSWD: &str = "/etc/passwd";

    /// One entry of `/etc/group`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Group {
        /// Group name.
        pub name: String,
        /// Numeric id.
        pub gid: u32,
        /// Users listed as supplementary members.
        pub members: Vec<String>,
    }

    /// One entry of `/etc/passwd` (the fields Latchkey uses).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct User {
        /// Login name.
        pub name: String,
        /// Numeric user id.
        pub uid: u32,
        /// Primary group id.
        pub gid: u32,
        /// Home directory.
        pub home: String,
    }

    /// Fields of a line of a colon-separated database, or `None` for blank
    /// lines, comments and NIS compat entries (`+`, `-`).
    fn fields(line: &str) -> Option<Vec<&str>> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() || line.starts_with(['#', '+', '-']) {
            return None;
        }
        Some(line.split(':').collect())
    }

    /// Parse one line of `/etc/group`: `name:password:gid:user1,user2`.
    pub fn parse_group_line(line: &str) -> Option<Group> {
        let f = fields(line)?;
        let [name, _password, gid, members] = f.as_slice() else {
            return None;
        };
        if name.is_empty() {
            return None;
        }
        Some(Group {
            name: (*name).to_string(),
            gid: gid.trim().parse().ok()?,
            members: members
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }

    /// Parse one line of `/etc/passwd`: `name:password:uid:gid:gecos:home:shell`.
    pub fn parse_passwd_line(line: &str) -> Option<User> {
        let f = fields(line)?;
        let [name, _password, uid, gid, _gecos, home, _shell] = f.as_slice() else {
            return None;
        };
        if name.is_empty() {
            return None;
        }
        Some(User {
            name: (*name).to_string(),
            uid: uid.trim().parse().ok()?,
            gid: gid.trim().parse().ok()?,
            home: (*home).to_string(),
        })
    }

    /// The first group called `name` in the text of `/etc/group`.
    pub fn find_group(etc_group: &str, name: &str) -> Option<Group> {
        etc_group
            .lines()
            .filter_map(parse_group_line)
            .find(|g| g.name == name)
    }

    /// The first user with `uid` in the text of `/etc/passwd`.
    pub fn find_user(etc_passwd: &str, uid: u32) -> Option<User> {
        etc_passwd
            .lines()
            .filter_map(parse_passwd_line)
            .find(|u| u.uid == uid)
    }

    /// The effective uid in the text of `/proc/PID/status` (`Uid: real effective saved fs`).
    pub fn parse_effective_uid(proc_status: &str) -> Option<u32> {
        proc_status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|uid| uid.parse().ok())
    }

    /// This process's effective uid.
    pub fn effective_uid() -> Option<u32> {
        parse_effective_uid(&std::fs::read_to_string("/proc/self/status").ok()?)
    }

    /// The local user with `uid`, from `/etc/passwd`.
    pub fn user(uid: u32) -> Option<User> {
        find_user(&std::fs::read_to_string(ETC_PASSWD).ok()?, uid)
    }

    /// The rule. A peer (`peer_uid`, primary `peer_gid` as the kernel reports
    /// it) may read and change things if it is root, the host's own user, or a member
    /// of the `latchkey` group: its primary group (from the kernel or from
    /// `/etc/passwd`) or a supplementary member listed by name in `/etc/group`.
    /// Unreadable databases (`None`) count as "no membership": fail closed.
    pub fn decide(
        peer_uid: u32,
        peer_gid: u32,
        host_uid: Option<u32>,
        etc_passwd: Option<&str>,
        etc_group: Option<&str>,
    ) -> Access {
        if peer_uid == 0 || host_uid == Some(peer_uid) {
            return Access::Full;
        }
        let user = etc_passwd.and_then(|text| find_user(text, peer_uid));
        let who = match &user {
            Some(u) => format!("user {} (uid {peer_uid})", u.name),
            None => format!("uid {peer_uid}"),
        };
        let Some(group) = etc_group.and_then(|text| find_group(text, GROUP)) else {
            return Access::Denied(format!(
                "forbidden: {who} may not use this host's control socket (it shows viewers' \
                 names and addresses); only root or the host's own user may (there is no \
                 '{GROUP}' group on this machine)"
            ));
        };
        let member = peer_gid == group.gid
            || user
                .as_ref()
                .is_some_and(|u| u.gid == group.gid || group.members.contains(&u.name));
        if member {
            Access::Full
        } else {
            let name = user.as_ref().map(|u| u.name.as_str()).unwrap_or("USER");
            Access::Denied(format!(
                "forbidden: {who} may not use this host's control socket (it shows viewers' \
                 names and addresses); only root, the host's own user or members of the \
                 '{GROUP}' group may (usermod -aG {GROUP} {name}, then log in again)"
            ))
        }
    }

    /// The message for a client the file system kept off the socket at
    /// `path` (this process's effective uid is `uid`).
    pub fn refusal(uid: Option<u32>, path: &std::path::Path) -> String {
        let who = match uid {
            Some(uid) => match user(uid) {
                Some(u) => format!("user {} (uid {uid})", u.name),
                None => format!("uid {uid}"),
            },
            None => "this user".into(),
        };
        let name = uid
            .and_then(user)
            .map(|u| u.name)
            .unwrap_or_else(|| "USER".into());
        format!(
            "forbidden: {who} may not use the host's control socket {}; only root, the host's \
             own user or members of the '{GROUP}' group may (usermod -aG {GROUP} {name}, then \
             log in again)",
            path.display()
        )
    }

    /// [`decide`] with the machine's `/etc/passwd` and `/etc/group`, read now.
    pub fn access_from_files(peer_uid: u32, peer_gid: u32, host_uid: Option<u32>) -> Access {
        let passwd = std::fs::read_to_string(ETC_PASSWD).ok();
        let group = std::fs::read_to_string(ETC_GROUP).ok();
        decide(
            peer_uid,
            peer_gid,
            host_uid,
            passwd.as_deref(),
            group.as_deref(),
        )
    }
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
            code(br#"{"cmd":"accept","id":"9","viewer":"V","requested_profile":"default","deny_permissions":["fly"]}"#).as_deref(),
            Some("invalid")
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
        assert_eq!(other.code.as_deref(), Some("request_mismatch"), "{other:?}");
        let wider = accept("AAAA-AAAA-AAAA-AAAA", "full_access");
        assert_eq!(wider.code.as_deref(), Some("request_mismatch"));
        // An accept that does not say what it saw is not a control request.
        let bare = format!(r#"{{"cmd":"accept","id":"{id}"}}"#);
        assert_eq!(
            handle_line(bare.as_bytes(), &r, &p).code.as_deref(),
            Some("malformed")
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
            assert_eq!(answer.code.as_deref(), Some("forbidden"));
            assert_eq!(answer.error.as_deref(), Some("forbidden: not you"));
        }
        // Full access reaches the request registry.
        assert_eq!(
            handle_line_as(br#"{"cmd":"deny","id":"1"}"#, &r, &p, &Access::Full)
                .code
                .as_deref(),
            Some("unknown_request")
        );
    }

    #[test]
    fn socket_mode_follows_the_group() {
        assert_eq!(socket_mode(false), 0o600);
        assert_eq!(socket_mode(true), 0o660);
    }

    mod auth_rules {
        use super::super::auth::*;
        use super::super::Access;

        const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
            # a comment\n\
            +nis-compat\n\
            alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n\
            bob:x:1001:1001::/home/bob:/bin/sh\n\
            carol:x:1002:990::/home/carol:/bin/sh\n\
            broken:x:notanumber:1:::\n\
            short:x:1003\n";
        const GROUP_FILE: &str = "root:x:0:\n\
            users:x:100:alice,bob\n\
            latchkey:x:990: alice , dave\n\
            latchkeyx:x:991:bob\n";

        #[test]
        fn group_lines() {
            assert_eq!(
                parse_group_line("latchkey:x:990:alice,bob"),
                Some(Group {
                    name: "latchkey".into(),
                    gid: 990,
                    members: vec!["alice".into(), "bob".into()],
                })
            );
            assert_eq!(
                parse_group_line("latchkey:x:990:\r\n").map(|g| g.members),
                Some(vec![])
            );
            for bad in [
                "", "# c", "+", "-x:x:1:", "x:x:1", "x:x:one:", ":x:1:", "x:x:1::",
            ] {
                assert_eq!(parse_group_line(bad), None, "{bad:?}");
            }
            // The exact name, not a prefix.
            assert_eq!(find_group(GROUP_FILE, "latchkey").map(|g| g.gid), Some(990));
            assert_eq!(find_group(GROUP_FILE, "latch"), None);
        }

        #[test]
        fn passwd_lines() {
            assert_eq!(
                find_user(PASSWD, 1000),
                Some(User {
                    name: "alice".into(),
                    uid: 1000,
                    gid: 1000,
                    home: "/home/alice".into(),
                })
            );
            assert_eq!(find_user(PASSWD, 4242), None);
            assert_eq!(parse_passwd_line("broken:x:notanumber:1:::"), None);
            assert_eq!(parse_passwd_line("short:x:1003"), None);
        }

        #[test]
        fn effective_uid_is_the_second_field() {
            let status = "Name:\tlatchkey\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
            assert_eq!(parse_effective_uid(status), Some(0));
            assert_eq!(parse_effective_uid("Name: x\n"), None);
            assert_eq!(parse_effective_uid("Uid:\t12\n"), None);
            assert!(effective_uid().is_some(), "this process has a uid");
        }

        fn full(a: &Access) -> bool {
            *a == Access::Full
        }

        #[test]
        fn who_may_change() {
            let (p, g) = (Some(PASSWD), Some(GROUP_FILE));
            // Root and the host's own user, whatever the files say.
            assert!(full(&decide(0, 0, Some(1000), None, None)));
            assert!(full(&decide(1001, 1001, Some(1001), None, None)));
            // Supplementary member listed in /etc/group (spaces tolerated).
            assert!(full(&decide(1000, 1000, Some(0), p, g)));
            // Primary group latchkey in /etc/passwd.
            assert!(full(&decide(1002, 1002, Some(0), p, g)));
            // Primary group latchkey as the kernel reports it (e.g. newgrp, sg).
            assert!(full(&decide(1001, 990, Some(0), p, g)));
            // Not a member: bob is only in latchkeyx and users.
            let bob = decide(1001, 1001, Some(0), p, g);
            let Access::Denied(why) = &bob else {
                panic!("bob may not change: {bob:?}")
            };
            assert!(why.contains("bob") && why.contains("latchkey"), "{why}");
            // A uid with no passwd entry is judged by its gid only.
            assert!(!full(&decide(4242, 4242, Some(0), p, g)));
            assert!(full(&decide(4242, 990, Some(0), p, g)));
            // No group on the machine, or unreadable databases: fail closed.
            assert!(!full(&decide(1000, 1000, Some(0), p, Some("root:x:0:\n"))));
            assert!(!full(&decide(1000, 1000, Some(0), None, None)));
            assert!(!full(&decide(1000, 1000, None, p, None)));
            // Listed by name only: a listed name without a passwd entry does not help uid 4243.
            assert!(!full(&decide(4243, 4243, Some(0), p, g)));
        }
    }
}
