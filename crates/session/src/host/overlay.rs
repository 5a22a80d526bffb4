//! What the host draws on top of its screen for sessions: each session's
//! whiteboard and each view-only viewer's pointer, every one a click-through
//! shaped window (`latchkey_media::overlay`) owned by one thread for the
//! whole host process (X11 calls block). A window goes when its session
//! takes it down, ends or drops (the feature halves do that from `Drop`),
//! and all of them with the host (the X server removes a client's windows
//! when its connection closes). The colours shown pointers get are handed
//! out here too, so two viewers never share one while there are enough.
//! Every second the overlays are raised again above windows mapped since.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_media::overlay::{Drawing, OverlayDisplay, OverlayWindow};
use tokio::sync::oneshot;

/// Which of a session's overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Layer {
    /// Its whiteboard strokes.
    Board,
    /// Its viewer's pointer.
    Pointer,
}

type Key = (u64, Layer);

/// How often overlays are raised again above windows mapped since.
const RAISE: Duration = Duration::from_secs(1);

enum Job {
    /// Show `drawing` offset by `at` (nothing: take the window down).
    Show {
        key: Key,
        at: (i32, i32),
        drawing: Drawing,
        reply: Option<oneshot::Sender<Result<(), String>>>,
    },
    Remove(Key),
}

/// The overlay thread's handle. Cheap to clone.
#[derive(Clone)]
pub struct Overlays {
    jobs: mpsc::Sender<Job>,
    /// Shown pointers' colours: (session, index in `SHOWN_COLORS`).
    colors: Arc<Mutex<Vec<(u64, usize)>>>,
}

impl Overlays {
    /// Start the overlay thread (it connects to the display on first use
    /// and ends when the last handle is dropped).
    pub fn start() -> Result<Self, crate::Error> {
        let (jobs, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("latchkey-overlay".into())
            .spawn(move || overlay_thread(rx))
            .map_err(|e| crate::Error::Io(format!("cannot start the overlay thread: {e}")))?;
        Ok(Overlays {
            jobs,
            colors: Arc::default(),
        })
    }

    /// Show `drawing` (offset by `at`) as `session`'s `layer`, on top of
    /// everything; done once it is on the screen, or why not.
    pub(crate) async fn show(
        &self,
        session: u64,
        layer: Layer,
        at: (i32, i32),
        drawing: Drawing,
    ) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Show {
                key: (session, layer),
                at,
                drawing,
                reply: Some(reply),
            })
            .map_err(|_| "the overlay thread stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the overlay thread stopped".to_string())?
    }

    /// As [`Overlays::show`], without waiting (a pointer that moves).
    pub(crate) fn show_soon(&self, session: u64, layer: Layer, at: (i32, i32), drawing: Drawing) {
        let _ = self.jobs.send(Job::Show {
            key: (session, layer),
            at,
            drawing,
            reply: None,
        });
    }

    /// Take `session`'s `layer` down.
    pub(crate) fn remove(&self, session: u64, layer: Layer) {
        let _ = self.jobs.send(Job::Remove((session, layer)));
    }

    /// The colour (index in `SHOWN_COLORS`) of `session`'s pointer, picked
    /// on first use.
    pub(crate) fn pointer_color(&self, session: u64) -> usize {
        let mut colors = self.colors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = colors.iter().find(|(s, _)| *s == session) {
            return *c;
        }
        let in_use: Vec<usize> = colors.iter().map(|(_, c)| *c).collect();
        let c = latchkey_core::feature::pointer::pick_color(&in_use);
        colors.push((session, c));
        c
    }

    /// `session`'s pointer colour is free again.
    pub(crate) fn release_color(&self, session: u64) {
        self.colors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(s, _)| *s != session);
    }
}

/// What the thread holds: the display (connected on first use) and each
/// window with what it shows.
#[derive(Default)]
struct Shown {
    display: Option<OverlayDisplay>,
    windows: HashMap<Key, (OverlayWindow, Drawing)>,
}

fn overlay_thread(jobs: mpsc::Receiver<Job>) {
    let mut shown = Shown::default();
    loop {
        let job = match jobs.recv_timeout(RAISE) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = shown.raise_all() {
                    tracing::debug!(error = %e, "cannot raise the overlays");
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match job {
            Job::Show {
                key,
                at,
                drawing,
                reply,
            } => {
                let done = shown.show(key, at, drawing);
                if let Err(e) = &done {
                    tracing::warn!(error = %e, "cannot draw on the screen");
                    // Start afresh next time (the X server may be back).
                    shown = Shown::default();
                }
                if let Some(reply) = reply {
                    let _ = reply.send(done);
                }
            }
            Job::Remove(key) => {
                if let Err(e) = shown.remove(key) {
                    tracing::warn!(error = %e, "cannot take an overlay down");
                    shown = Shown::default();
                }
            }
        }
    }
}

impl Shown {
    fn show(&mut self, key: Key, at: (i32, i32), drawing: Drawing) -> Result<(), String> {
        if drawing.is_empty() {
            return self.remove(key);
        }
        if self.display.is_none() {
            self.display = Some(OverlayDisplay::connect().map_err(|e| e.to_string())?);
        }
        let display = self.display.as_mut().ok_or("no display")?;
        match self.windows.get_mut(&key) {
            // Only moved: the server keeps what it shows.
            Some((window, was)) if *was == drawing => {
                display.move_to(*window, at).map_err(|e| e.to_string())
            }
            Some((window, was)) => {
                display
                    .show(*window, at, &drawing)
                    .map_err(|e| e.to_string())?;
                *was = drawing;
                Ok(())
            }
            None => {
                let window = display.create().map_err(|e| e.to_string())?;
                display
                    .show(window, at, &drawing)
                    .map_err(|e| e.to_string())?;
                self.windows.insert(key, (window, drawing));
                Ok(())
            }
        }
    }

    /// Keep every overlay on top.
    fn raise_all(&mut self) -> Result<(), String> {
        let Some(display) = self.display.as_mut() else {
            return Ok(());
        };
        for (window, _) in self.windows.values() {
            display.raise(*window).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn remove(&mut self, key: Key) -> Result<(), String> {
        let Some((window, _)) = self.windows.remove(&key) else {
            return Ok(());
        };
        match self.display.as_mut() {
            Some(display) => display.destroy(window).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}
