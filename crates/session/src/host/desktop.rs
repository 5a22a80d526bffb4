//! The host's desktop threads: one injects input, one owns the clipboard,
//! for every session of the host process (moved out of `live.rs`; the
//! clipboard got a thread of its own so that a slow clipboard owner, which
//! X11 lets take seconds to answer, never holds up a keystroke).

use tokio::sync::oneshot;

use latchkey_media::{Clipboard, Injector, InputEvent};

/// Work for a desktop thread.
pub(crate) enum Job {
    Input(InputEvent),
    ClipboardSet(String),
    ClipboardGet(oneshot::Sender<Option<String>>),
    /// Offer these targets (name, bytes) on the clipboard (a file list).
    ClipboardOffer(Vec<(String, Vec<u8>)>, oneshot::Sender<Result<(), String>>),
    /// The clipboard's value in the first of these targets it offers, and which.
    ClipboardRead(Vec<&'static str>, oneshot::Sender<Result<Read, String>>),
    Barrier(oneshot::Sender<()>),
    /// A session ended: release every key and button it left held.
    ReleaseAll,
}

/// A clipboard value and the target it was read in (`None`: none offered).
pub(crate) type Read = Option<(String, Vec<u8>)>;

/// Which thread a job runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// Input injection.
    Input,
    /// The clipboard.
    Clipboard,
}

/// The host's desktop: for the whole host process, one thread that injects
/// input and one that owns the clipboard (X11 input and clipboard calls
/// block, and on X11 clipboard content is served only while its owner lives,
/// so the owner must outlive any one session). Cheap to clone.
#[derive(Clone)]
pub struct Desktop {
    input: std::sync::mpsc::Sender<Job>,
    clipboard: std::sync::mpsc::Sender<Job>,
}

impl Desktop {
    /// Start the desktop threads (they end when the last handle is dropped).
    pub fn start() -> Result<Self, crate::Error> {
        let lane = |name: &str| {
            let (jobs, rx) = std::sync::mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || desktop_thread(rx))
                .map_err(|e| crate::Error::Io(format!("cannot start the desktop thread: {e}")))?;
            Ok::<_, crate::Error>(jobs)
        };
        Ok(Desktop {
            input: lane("latchkey-input")?,
            clipboard: lane("latchkey-clipboard")?,
        })
    }

    pub(crate) fn send(&self, job: Job) {
        let lane = match job {
            Job::ClipboardSet(_)
            | Job::ClipboardGet(_)
            | Job::ClipboardOffer(..)
            | Job::ClipboardRead(..) => &self.clipboard,
            Job::Input(_) | Job::ReleaseAll | Job::Barrier(_) => &self.input,
        };
        let _ = lane.send(job);
    }

    /// Wait until `lane`'s thread did everything sent to it before.
    pub(crate) async fn barrier(&self, lane: Lane) {
        let (tx, rx) = oneshot::channel();
        let jobs = match lane {
            Lane::Input => &self.input,
            Lane::Clipboard => &self.clipboard,
        };
        let _ = jobs.send(Job::Barrier(tx));
        let _ = rx.await;
    }
}

fn desktop_thread(jobs: std::sync::mpsc::Receiver<Job>) {
    let mut injector = Injector::new();
    let mut clipboard: Option<Clipboard> = None;
    let mut warned = false;
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Input(event) => {
                // The kind only, at every level: never the key or the text.
                tracing::trace!(kind = input_kind(&event), "inject");
                if let Err(e) = injector.apply(&event) {
                    if !warned {
                        tracing::warn!(kind = input_kind(&event), error = %e, "cannot inject input");
                        warned = true;
                    }
                }
            }
            Job::ClipboardSet(text) => {
                if let Some(cb) = clipboard.get_or_insert_with_result() {
                    if let Err(e) = cb.set_text(&text) {
                        tracing::warn!(error = %e, "cannot set the clipboard");
                    }
                }
            }
            Job::ClipboardGet(reply) => {
                let text = clipboard
                    .get_or_insert_with_result()
                    .and_then(|cb| cb.get_text().ok().flatten());
                let _ = reply.send(text);
            }
            Job::ClipboardOffer(targets, reply) => {
                let done = match clipboard.get_or_insert_with_result() {
                    Some(cb) => cb.offer(targets).map_err(|e| e.to_string()),
                    None => Err("no clipboard on this display".into()),
                };
                let _ = reply.send(done);
            }
            Job::ClipboardRead(targets, reply) => {
                let value = match clipboard.get_or_insert_with_result() {
                    Some(cb) => cb.read(&targets).map_err(|e| e.to_string()),
                    None => Err("no clipboard on this display".into()),
                };
                let _ = reply.send(value);
            }
            Job::Barrier(reply) => {
                let _ = reply.send(());
            }
            Job::ReleaseAll => {
                if let Err(e) = injector.release_all() {
                    tracing::warn!(error = %e, "cannot release held keys");
                }
            }
        }
    }
    let _ = injector.release_all();
}

/// `Option<Clipboard>` that opens the clipboard on first use.
trait LazyClipboard {
    fn get_or_insert_with_result(&mut self) -> Option<&mut Clipboard>;
}

impl LazyClipboard for Option<Clipboard> {
    fn get_or_insert_with_result(&mut self) -> Option<&mut Clipboard> {
        if self.is_none() {
            match Clipboard::new() {
                Ok(cb) => *self = Some(cb),
                Err(e) => {
                    tracing::warn!(error = %e, "no clipboard");
                    return None;
                }
            }
        }
        self.as_mut()
    }
}

/// The kind of an event, as the audit log names it (never the key or the text).
pub(crate) fn input_kind(event: &InputEvent) -> &'static str {
    match event {
        InputEvent::PointerMove { .. } => "pointer_move",
        InputEvent::ButtonDown { .. } | InputEvent::ButtonUp { .. } => "button",
        InputEvent::Wheel { .. } => "wheel",
        InputEvent::KeyDown { .. } | InputEvent::KeyUp { .. } => "key",
        InputEvent::Text { .. } => "text",
        #[allow(unreachable_patterns)]
        _ => "input",
    }
}
