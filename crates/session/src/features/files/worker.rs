//! Whose rights the host's file operations run with, and where they run.
//! Every file operation of a session is an [`Op`] carried out by one thread
//! of its own. When the host runs as a user, that thread does the work
//! itself, with that user's rights. When the host runs as root, the thread
//! hands each operation to a helper process (`latchkey files-helper`, the
//! same executable) started with the uid, gid and groups of the user of the
//! graphical session in front (logind's, see `host::active_desktop`),
//! speaking JSON lines over its stdin and stdout: nothing is ever done as
//! root. With nobody logged in, or root's desktop, file access is refused.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use latchkey_core::feature::files::Entry;
use latchkey_core::ErrorCode;

use super::ops::{self, Reading, Writing};
use super::Failure;
use crate::host::active_desktop::{active_session, Lookup};
use crate::host::control_socket::auth;

/// The argument that makes the `latchkey` executable serve file operations.
pub const HELPER_ARG: &str = "files-helper";

/// Who the file operations run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DesktopUser {
    /// Their uid.
    pub uid: u32,
    /// Their primary gid.
    pub gid: u32,
    /// Their home: where `~` and relative paths start.
    pub home: PathBuf,
    /// Whether a helper process with their rights does the work (the host is root).
    pub helper: bool,
}

/// The user whose desktop is shared, or why file access is refused.
pub(crate) fn desktop_user() -> Result<DesktopUser, Failure> {
    let refuse = |why: String| Failure::new(ErrorCode::Unsupported, why);
    let euid = auth::effective_uid()
        .ok_or_else(|| refuse("the host cannot tell which user it runs as".into()))?;
    if euid != 0 {
        let user = auth::user(euid);
        let home = user
            .as_ref()
            .map(|u| PathBuf::from(&u.home))
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .ok_or_else(|| refuse(format!("uid {euid} has no home directory")))?;
        let gid = user.map(|u| u.gid).unwrap_or(euid);
        return Ok(DesktopUser {
            uid: euid,
            gid,
            home,
            helper: false,
        });
    }
    let session = match active_session(Some(0)) {
        Lookup::Found(s) => s,
        Lookup::Nothing(why) | Lookup::Unavailable(why) => {
            return Err(refuse(format!(
                "nobody is logged in at the host ({why}): file access runs with the rights of \
                 the desktop's user and never as root"
            )))
        }
    };
    if session.uid == 0 {
        return Err(refuse(
            "the desktop in front belongs to root: file access is never done as root".into(),
        ));
    }
    let user = auth::user(session.uid).ok_or_else(|| {
        refuse(format!(
            "the desktop's user (uid {}) is not in /etc/passwd",
            session.uid
        ))
    })?;
    Ok(DesktopUser {
        uid: user.uid,
        gid: user.gid,
        home: PathBuf::from(user.home),
        helper: true,
    })
}

/// Bytes as hex in JSON (the helper's pipe).
mod hexbytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        hex::decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// A chunk of file bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Bytes(#[serde(with = "hexbytes")] pub Vec<u8>);

/// One file operation (`h`: the transfer's handle).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Op {
    Stat {
        path: String,
    },
    List {
        path: String,
    },
    Mkdir {
        path: String,
    },
    Remove {
        path: String,
        recursive: bool,
    },
    Rename {
        from: String,
        to: String,
    },
    Symlink {
        path: String,
        target: String,
    },
    OpenRead {
        h: u64,
        path: String,
        offset: u64,
        prefix: Option<String>,
    },
    ReadChunks {
        h: u64,
        n: usize,
    },
    ReadSha {
        h: u64,
    },
    OpenWrite {
        h: u64,
        path: String,
        size: u64,
        mode: u32,
        mtime: Option<i64>,
    },
    Resume {
        h: u64,
        offset: u64,
    },
    Write {
        h: u64,
        offset: u64,
        data: Bytes,
    },
    Commit {
        h: u64,
        sha256: String,
    },
    Close {
        h: u64,
    },
}

/// What an operation gives back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub(crate) enum Reply {
    Entry {
        entry: Entry,
    },
    Entries {
        entries: Vec<Entry>,
    },
    Done,
    Opened {
        size: u64,
        start: u64,
        mode: u32,
        mtime: i64,
    },
    Chunks {
        chunks: Vec<Bytes>,
    },
    Sha {
        sha256: String,
    },
    Ready {
        partial: u64,
        sha256: String,
    },
    Written {
        size: u64,
    },
}

/// The open transfers of one session, where the work is done.
#[derive(Default)]
struct State {
    reads: HashMap<u64, Reading>,
    writes: HashMap<u64, Writing>,
}

fn no_transfer() -> Failure {
    Failure::new(ErrorCode::Protocol, "no such transfer")
}

impl State {
    fn execute(&mut self, home: &Path, op: Op) -> Result<Reply, Failure> {
        Ok(match op {
            Op::Stat { path } => Reply::Entry {
                entry: ops::stat(home, &path)?,
            },
            Op::List { path } => Reply::Entries {
                entries: ops::list(home, &path)?,
            },
            Op::Mkdir { path } => ops::mkdir(home, &path).map(|()| Reply::Done)?,
            Op::Remove { path, recursive } => {
                ops::remove(home, &path, recursive).map(|()| Reply::Done)?
            }
            Op::Rename { from, to } => ops::rename(home, &from, &to).map(|()| Reply::Done)?,
            Op::Symlink { path, target } => {
                ops::symlink(home, &path, &target).map(|()| Reply::Done)?
            }
            Op::OpenRead {
                h,
                path,
                offset,
                prefix,
            } => {
                let r = ops::open_read(home, &path, offset, prefix.as_deref())?;
                let reply = Reply::Opened {
                    size: r.size,
                    start: r.start,
                    mode: r.mode,
                    mtime: r.mtime,
                };
                self.reads.insert(h, r);
                reply
            }
            Op::ReadChunks { h, n } => {
                let r = self.reads.get_mut(&h).ok_or_else(no_transfer)?;
                let chunks = r.chunks(n).map_err(|e| Failure::io("read", &e))?;
                Reply::Chunks {
                    chunks: chunks.into_iter().map(Bytes).collect(),
                }
            }
            Op::ReadSha { h } => Reply::Sha {
                sha256: self.reads.get(&h).ok_or_else(no_transfer)?.sha256(),
            },
            Op::OpenWrite {
                h,
                path,
                size,
                mode,
                mtime,
            } => {
                let w = ops::open_write(home, &path, size, mode, mtime)?;
                let reply = Reply::Ready {
                    partial: w.partial,
                    sha256: w.partial_sha256(),
                };
                self.writes.insert(h, w);
                reply
            }
            Op::Resume { h, offset } => {
                let w = self.writes.get_mut(&h).ok_or_else(no_transfer)?;
                let done = w.resume(offset);
                if done.is_err() {
                    self.writes.remove(&h);
                }
                done.map(|()| Reply::Done)?
            }
            Op::Write { h, offset, data } => {
                let w = self.writes.get_mut(&h).ok_or_else(no_transfer)?;
                let size = w.size;
                let done = w.write(offset, &data.0);
                if done.is_err() {
                    self.writes.remove(&h);
                }
                done.map(|()| Reply::Written { size })?
            }
            Op::Commit { h, sha256 } => {
                let mut w = self.writes.remove(&h).ok_or_else(no_transfer)?;
                w.commit(&sha256).map(|()| Reply::Done)?
            }
            Op::Close { h } => {
                self.reads.remove(&h);
                self.writes.remove(&h);
                Reply::Done
            }
        })
    }
}

type Job = (Op, oneshot::Sender<Result<Reply, Failure>>);

/// One session's file worker (its thread ends when this is dropped, and
/// with it the helper process, if any).
pub(crate) struct Worker {
    jobs: mpsc::Sender<Job>,
}

/// The helper process as the worker thread drives it.
struct Helper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Helper {
    fn start(user: &DesktopUser) -> Result<Helper, Failure> {
        use std::os::unix::process::CommandExt;
        let fail = |why: String| Failure::new(ErrorCode::Unsupported, why);
        let exe = std::env::current_exe()
            .map_err(|e| fail(format!("cannot find the latchkey executable: {e}")))?;
        // std drops root's supplementary groups when it sets the uid.
        let mut child = Command::new(exe)
            .arg(HELPER_ARG)
            .arg(&user.home)
            .env_clear()
            .env("HOME", &user.home)
            .current_dir("/")
            .uid(user.uid)
            .gid(user.gid)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                fail(format!(
                    "cannot start the file helper as uid {}: {e}",
                    user.uid
                ))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(fail("the file helper has no pipes".into()));
        };
        Ok(Helper {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    fn call(&mut self, op: &Op) -> Result<Reply, Failure> {
        let lost = || Failure::new(ErrorCode::Local, "the file helper stopped");
        let mut line = serde_json::to_string(op).map_err(|_| lost())?;
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).map_err(|_| lost())?;
        self.stdin.flush().map_err(|_| lost())?;
        let mut answer = String::new();
        match self.stdout.read_line(&mut answer) {
            Ok(n) if n > 0 => {}
            _ => return Err(lost()),
        }
        serde_json::from_str::<Result<Reply, Failure>>(&answer).map_err(|_| lost())?
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    /// Start the worker as `user` (a helper process when the host is root).
    pub async fn start(user: DesktopUser) -> Result<Worker, Failure> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let who = user;
        std::thread::Builder::new()
            .name("latchkey-files".into())
            .spawn(move || {
                if who.helper {
                    let mut helper = match Helper::start(&who) {
                        Ok(h) => h,
                        Err(f) => {
                            let _ = ready_tx.send(Err(f));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    while let Ok((op, reply)) = rx.recv() {
                        let _ = reply.send(helper.call(&op));
                    }
                } else {
                    let _ = ready_tx.send(Ok(()));
                    let mut state = State::default();
                    while let Ok((op, reply)) = rx.recv() {
                        let _ = reply.send(state.execute(&who.home, op));
                    }
                }
            })
            .map_err(|e| Failure::new(ErrorCode::Local, format!("cannot start a thread: {e}")))?;
        match ready_rx.await {
            Ok(Ok(())) => Ok(Worker { jobs }),
            Ok(Err(f)) => Err(f),
            Err(_) => Err(Failure::new(ErrorCode::Local, "the file thread died")),
        }
    }

    /// Carry out `op` and wait for its reply.
    pub async fn call(&self, op: Op) -> Result<Reply, Failure> {
        let (tx, rx) = oneshot::channel();
        let lost = || Failure::new(ErrorCode::Local, "the file thread stopped");
        self.jobs.send((op, tx)).map_err(|_| lost())?;
        rx.await.map_err(|_| lost())?
    }
}

/// `latchkey files-helper HOME`: serve file operations on stdin/stdout, one
/// JSON line each way, with this process's rights (refused as root).
pub fn serve_helper(home: &Path) -> Result<(), String> {
    match auth::effective_uid() {
        Some(0) => return Err("the file helper never runs as root".into()),
        None => return Err("the file helper cannot tell which user it runs as".into()),
        Some(_) => {}
    }
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let mut state = State::default();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let reply = match serde_json::from_str::<Op>(&line) {
            Ok(op) => state.execute(home, op),
            Err(_) => Err(Failure::new(
                ErrorCode::Protocol,
                "a malformed file operation",
            )),
        };
        let mut text = serde_json::to_string(&reply).map_err(|e| e.to_string())?;
        text.push('\n');
        stdout
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}
