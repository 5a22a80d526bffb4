//! The host's desk guard: for the whole host process, one thread that keeps
//! the person at the desk out while any session asks for it (`block_input`:
//! local input held; `privacy_mode`: monitors blank and local input held),
//! and gives everything back when the last session that asked lets go, ends
//! or drops (its claims go with its feature task).
//!
//! What a crash would leave behind is written down first: the gamma ramps as
//! they were go to `desk-state.json` in the config directory (atomically)
//! before the monitors are blanked, and a host that starts and finds the file
//! puts them back and removes it. Held input needs no such note: the X server
//! ends our grabs with our connection (see `latchkey_media::desk`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use latchkey_media::desk::{Blanker, InputBlock, SavedScreen};
use tokio::sync::oneshot;

/// How often held devices and blank monitors are checked again (devices
/// plugged in, a ramp someone else set, DPMS woken by our own injection).
const REFRESH: Duration = Duration::from_secs(1);

/// The crash note's file name, in the config directory.
const STATE_FILE: &str = "desk-state.json";

/// What a session can ask of the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Keep {
    /// Local input held.
    Input,
    /// Monitors blank (and local input held).
    Privacy,
}

enum Job {
    Set {
        session: u64,
        keep: Keep,
        on: bool,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Release {
        session: u64,
    },
    /// The host stops: give everything back, then answer.
    Stop(oneshot::Sender<()>),
}

/// The desk guard's handle. Cheap to clone.
#[derive(Clone)]
pub struct Desk {
    jobs: mpsc::Sender<Job>,
}

/// A new id for one session's claims.
pub(crate) fn session_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Desk {
    /// Start the guard thread; first it gives back what a host that died
    /// left blank (the note in `config_dir`).
    pub fn start(config_dir: &Path) -> Result<Self, crate::Error> {
        let (jobs, rx) = mpsc::channel();
        let note = config_dir.join(STATE_FILE);
        std::thread::Builder::new()
            .name("latchkey-desk".into())
            .spawn(move || guard_thread(&note, rx))
            .map_err(|e| crate::Error::Io(format!("cannot start the desk thread: {e}")))?;
        Ok(Desk { jobs })
    }

    /// Turn `keep` on or off for `session`; `Err` says why it could not be done.
    pub(crate) async fn set(&self, session: u64, keep: Keep, on: bool) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Set {
                session,
                keep,
                on,
                reply,
            })
            .map_err(|_| "the desk thread stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the desk thread stopped".to_string())?
    }

    /// Give the desk back before the host stops (the note covers a host
    /// that dies instead).
    pub async fn stop(&self) {
        let (reply, done) = oneshot::channel();
        if self.jobs.send(Job::Stop(reply)).is_ok() {
            let _ = done.await;
        }
    }

    /// Everything `session` asked for, let go (it ended).
    pub(crate) fn release(&self, session: u64) {
        let _ = self.jobs.send(Job::Release { session });
    }
}

/// What the thread holds.
#[derive(Default)]
struct Guard {
    claims: HashSet<(u64, Keep)>,
    input: Option<InputBlock>,
    blank: Option<(Blanker, SavedScreen)>,
}

fn guard_thread(note: &Path, jobs: mpsc::Receiver<Job>) {
    replay(note);
    let mut guard = Guard::default();
    loop {
        match jobs.recv_timeout(REFRESH) {
            Ok(Job::Set {
                session,
                keep,
                on,
                reply,
            }) => {
                if on {
                    guard.claims.insert((session, keep));
                } else {
                    guard.claims.remove(&(session, keep));
                }
                let result = guard.apply(note);
                if result.is_err() && on {
                    guard.claims.remove(&(session, keep));
                    let _ = guard.apply(note);
                }
                let _ = reply.send(result);
            }
            Ok(Job::Release { session }) => {
                guard.claims.retain(|(s, _)| *s != session);
                if let Err(e) = guard.apply(note) {
                    tracing::warn!(error = %e, "cannot give the desk back");
                }
            }
            Ok(Job::Stop(reply)) => {
                guard.claims.clear();
                if let Err(e) = guard.apply(note) {
                    tracing::warn!(error = %e, "cannot give the desk back");
                }
                let _ = reply.send(());
            }
            Err(RecvTimeoutError::Timeout) => guard.refresh(note),
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    guard.claims.clear();
    let _ = guard.apply(note);
}

impl Guard {
    /// Make the desk what the claims say.
    fn apply(&mut self, note: &Path) -> Result<(), String> {
        let want_input = !self.claims.is_empty();
        let want_blank = self.claims.iter().any(|(_, k)| *k == Keep::Privacy);
        if want_input && self.input.is_none() {
            let block = InputBlock::start().map_err(|e| format!("cannot block input: {e}"))?;
            tracing::info!(devices = block.held(), "local input blocked");
            self.input = Some(block);
        }
        if want_blank && self.blank.is_none() {
            let blanker = Blanker::connect().map_err(|e| format!("cannot blank: {e}"))?;
            let saved = blanker
                .save()
                .map_err(|e| format!("cannot read the gamma ramps: {e}"))?;
            // Written down before anything changes.
            write_note(note, &saved)?;
            if let Err(e) = blanker.blank() {
                let _ = blanker.restore(&saved);
                remove_note(note);
                return Err(format!("cannot blank the monitors: {e}"));
            }
            tracing::info!(crtcs = saved.ramps.len(), "monitors blanked");
            self.blank = Some((blanker, saved));
        }
        if !want_blank {
            if let Some((blanker, saved)) = self.blank.take() {
                blanker
                    .restore(&saved)
                    .map_err(|e| format!("cannot restore the gamma ramps: {e}"))?;
                remove_note(note);
                tracing::info!("monitors restored");
            }
        }
        if !want_input {
            if let Some(block) = self.input.take() {
                block
                    .stop()
                    .map_err(|e| format!("cannot give input back: {e}"))?;
                tracing::info!("local input given back");
            }
        }
        Ok(())
    }

    /// Keep it so: hold new devices, blank new CRTCs (after saving them) and
    /// blank again what someone else (or DPMS) woke.
    fn refresh(&mut self, note: &Path) {
        if let Some(block) = &mut self.input {
            if let Err(e) = block.refresh() {
                tracing::debug!(error = %e, "cannot refresh the held devices");
            }
        }
        if let Some((blanker, saved)) = &mut self.blank {
            if blanker.unsaved(saved).unwrap_or(false) {
                match blanker.save() {
                    Ok(now) => {
                        for ramp in now.ramps {
                            if !saved.ramps.iter().any(|r| r.crtc == ramp.crtc) {
                                saved.ramps.push(ramp);
                            }
                        }
                        if let Err(e) = write_note(note, saved) {
                            tracing::warn!(error = %e, "cannot note the gamma ramps");
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot read new gamma ramps");
                        return;
                    }
                }
            }
            if let Err(e) = blanker.blank() {
                tracing::debug!(error = %e, "cannot blank again");
            }
        }
    }
}

/// Give back what a host that died left blank.
fn replay(note: &Path) {
    let Ok(bytes) = std::fs::read(note) else {
        return;
    };
    let saved: SavedScreen = match serde_json::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, path = %note.display(), "the desk note is damaged; removing it");
            remove_note(note);
            return;
        }
    };
    match Blanker::connect().and_then(|b| b.restore(&saved)) {
        Ok(()) => {
            tracing::info!("monitors restored after a host that stopped with them blank");
            remove_note(note);
        }
        // Kept for the next start (the X server may come later).
        Err(e) => tracing::warn!(error = %e, "cannot restore the monitors a host left blank"),
    }
}

fn write_note(note: &Path, saved: &SavedScreen) -> Result<(), String> {
    let bytes = serde_json::to_vec(saved).map_err(|e| e.to_string())?;
    latchkey_store::atomic::write_atomic(note, &bytes, 0o600)
        .map_err(|e| format!("cannot note the gamma ramps: {e}"))
}

fn remove_note(note: &Path) {
    if let Err(e) = std::fs::remove_file(note) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, "cannot remove the desk note");
        }
    }
}

/// Where a host in `config_dir` keeps its desk note (for tests and tools).
pub fn note_path(config_dir: &Path) -> PathBuf {
    config_dir.join(STATE_FILE)
}
