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

/// The running executable, as the kernel links it.
const SELF_EXE: &str = "/proc/self/exe";

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
        /// Carried raw after the frame's header on the helper's pipe.
        #[serde(skip)]
        data: Vec<u8>,
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
        /// Carried raw after the frame's header on the helper's pipe.
        #[serde(skip)]
        chunks: Vec<Vec<u8>>,
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
                Reply::Chunks { chunks }
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
                let done = w.write(offset, &data);
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

/// On the helper's pipe each message is a frame: one JSON line (the message
/// and the lengths of its blobs), then the blobs' raw bytes (file data is
/// never hex or JSON there).
#[derive(Serialize, Deserialize)]
struct Frame<T> {
    body: T,
    blobs: Vec<usize>,
}

fn send_frame<T: Serialize>(
    out: &mut impl Write,
    body: &T,
    blobs: &[Vec<u8>],
) -> std::io::Result<()> {
    let frame = Frame {
        body,
        blobs: blobs.iter().map(Vec::len).collect(),
    };
    let mut line = serde_json::to_vec(&frame).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    for b in blobs {
        out.write_all(b)?;
    }
    out.flush()
}

/// The next frame, `None` at the end of the input.
fn recv_frame<T: serde::de::DeserializeOwned>(
    input: &mut impl BufRead,
) -> std::io::Result<Option<(T, Vec<Vec<u8>>)>> {
    let mut line = Vec::new();
    if input.read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    let frame: Frame<T> = serde_json::from_slice(&line).map_err(std::io::Error::other)?;
    let mut blobs = Vec::with_capacity(frame.blobs.len());
    for len in frame.blobs {
        if len > MAX_BLOB {
            return Err(std::io::Error::other("a blob over the limit"));
        }
        let mut b = vec![0u8; len];
        input.read_exact(&mut b)?;
        blobs.push(b);
    }
    Ok(Some((frame.body, blobs)))
}

/// The largest blob a frame may carry.
const MAX_BLOB: usize = 4 * 1024 * 1024;

/// Take an operation's raw bytes out for the pipe, and put them back.
fn op_blobs(op: &mut Op) -> Vec<Vec<u8>> {
    match op {
        Op::Write { data, .. } => vec![std::mem::take(data)],
        _ => Vec::new(),
    }
}

fn op_with(mut op: Op, mut blobs: Vec<Vec<u8>>) -> Op {
    if let Op::Write { data, .. } = &mut op {
        *data = blobs.pop().unwrap_or_default();
    }
    op
}

fn reply_blobs(reply: &mut Result<Reply, Failure>) -> Vec<Vec<u8>> {
    match reply {
        Ok(Reply::Chunks { chunks }) => std::mem::take(chunks),
        _ => Vec::new(),
    }
}

fn reply_with(mut reply: Result<Reply, Failure>, blobs: Vec<Vec<u8>>) -> Result<Reply, Failure> {
    if let Ok(Reply::Chunks { chunks }) = &mut reply {
        *chunks = blobs;
    }
    reply
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
        // This very executable, through the kernel's link to it: the desktop
        // user may not be able to reach the directory it lives in (a build
        // under /root, say), and the link needs no search right on its path.
        // std drops root's supplementary groups when it sets the uid.
        let mut child = Command::new(SELF_EXE)
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

    fn call(&mut self, mut op: Op) -> Result<Reply, Failure> {
        let lost = || Failure::new(ErrorCode::Local, "the file helper stopped");
        let blobs = op_blobs(&mut op);
        send_frame(&mut self.stdin, &op, &blobs).map_err(|_| lost())?;
        match recv_frame::<Result<Reply, Failure>>(&mut self.stdout) {
            Ok(Some((reply, blobs))) => reply_with(reply, blobs),
            _ => Err(lost()),
        }
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
                        let _ = reply.send(helper.call(op));
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
    let mut input = BufReader::with_capacity(1024 * 1024, std::io::stdin().lock());
    let mut output = std::io::BufWriter::with_capacity(1024 * 1024, std::io::stdout().lock());
    let mut state = State::default();
    while let Some((op, blobs)) = recv_frame::<Op>(&mut input).map_err(|e| e.to_string())? {
        let mut reply = state.execute(home, op_with(op, blobs));
        let blobs = reply_blobs(&mut reply);
        send_frame(&mut output, &reply, &blobs).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::feature::files::sha256_hex;
    use sha2::{Digest, Sha256};

    fn sha(bytes: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(bytes);
        sha256_hex(&h)
    }

    /// A write stopped part way is resumed from its temporary copy, checked,
    /// renamed into place; a read gives the same bytes and hash.
    #[test]
    fn a_write_resumes_from_its_partial_copy_and_reads_back() {
        let home = tempfile::tempdir().expect("tempdir");
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let size = data.len() as u64;
        let mut first = State::default();
        let open = |h| Op::OpenWrite {
            h,
            path: "~/f.bin".into(),
            size,
            mode: 0o640,
            mtime: Some(1_700_000_000),
        };
        assert!(matches!(
            first.execute(home.path(), open(1)),
            Ok(Reply::Ready { partial: 0, .. })
        ));
        first
            .execute(home.path(), Op::Resume { h: 1, offset: 0 })
            .expect("resume");
        let half = data[..20_000].to_vec();
        first
            .execute(
                home.path(),
                Op::Write {
                    h: 1,
                    offset: 0,
                    data: half.clone(),
                },
            )
            .expect("write");
        drop(first); // The session went away.
        assert!(!home.path().join("f.bin").exists());
        let mut again = State::default();
        let Ok(Reply::Ready { partial, sha256 }) = again.execute(home.path(), open(2)) else {
            panic!("ready")
        };
        assert_eq!((partial, sha256), (20_000, sha(&half)));
        again
            .execute(
                home.path(),
                Op::Resume {
                    h: 2,
                    offset: partial,
                },
            )
            .expect("resume");
        let rest = data[20_000..].to_vec();
        let write = Op::Write {
            h: 2,
            offset: 20_000,
            data: rest,
        };
        again.execute(home.path(), write).expect("write");
        let bad = again.execute(
            home.path(),
            Op::Commit {
                h: 2,
                sha256: sha(b"other"),
            },
        );
        assert_eq!(
            bad.map(|_| ()).map_err(|f| f.code),
            Err(ErrorCode::Protocol)
        );
        assert!(
            !home.path().join("f.bin").exists(),
            "nothing under the real name"
        );
        assert!(
            !home.path().join(".f.bin.latchkey-part").exists(),
            "a bad copy is removed"
        );
        // Whole again, committed with the right hash.
        again.execute(home.path(), open(3)).expect("open");
        again
            .execute(home.path(), Op::Resume { h: 3, offset: 0 })
            .expect("resume");
        let write = Op::Write {
            h: 3,
            offset: 0,
            data: data.clone(),
        };
        again.execute(home.path(), write).expect("write");
        again
            .execute(
                home.path(),
                Op::Commit {
                    h: 3,
                    sha256: sha(&data),
                },
            )
            .expect("commit");
        assert_eq!(
            std::fs::read(home.path().join("f.bin")).expect("read"),
            data
        );
        let read = Op::OpenRead {
            h: 4,
            path: "f.bin".into(),
            offset: 0,
            prefix: None,
        };
        assert!(matches!(
            again.execute(home.path(), read),
            Ok(Reply::Opened { size: 50_000, .. })
        ));
        let mut got = Vec::new();
        while let Ok(Reply::Chunks { chunks }) =
            again.execute(home.path(), Op::ReadChunks { h: 4, n: 3 })
        {
            if chunks.is_empty() {
                break;
            }
            chunks.iter().for_each(|c| got.extend_from_slice(c));
        }
        assert_eq!(got, data);
        let Ok(Reply::Sha { sha256 }) = again.execute(home.path(), Op::ReadSha { h: 4 }) else {
            panic!("sha")
        };
        assert_eq!(sha256, sha(&data));
        // Paths never climb.
        let up = again.execute(
            home.path(),
            Op::Stat {
                path: "../x".into(),
            },
        );
        assert_eq!(up.map(|_| ()).map_err(|f| f.code), Err(ErrorCode::BadInput));
    }

    /// The helper's frames carry file bytes raw after the header.
    #[test]
    fn frames_round_trip_with_their_blobs() {
        let mut pipe = Vec::new();
        let mut op = Op::Write {
            h: 7,
            offset: 9,
            data: vec![0, 10, 255, b'\n'],
        };
        let blobs = op_blobs(&mut op);
        send_frame(&mut pipe, &op, &blobs).expect("send");
        let mut input = std::io::Cursor::new(pipe);
        let (back, blobs) = recv_frame::<Op>(&mut input)
            .expect("recv")
            .expect("a frame");
        let Op::Write { h, offset, data } = op_with(back, blobs) else {
            panic!("write")
        };
        assert_eq!((h, offset, data), (7, 9, vec![0, 10, 255, b'\n']));
        assert!(recv_frame::<Op>(&mut input).expect("end").is_none());
    }
}
