//! The host's desktop thread: it injects input and owns the clipboard for
//! every session of the host process (moved out of `live.rs` unchanged).

use tokio::sync::oneshot;

use latchkey_media::{Clipboard, Injector, InputEvent};

/// Work for the desktop thread, which owns the injector and the clipboard.
pub(crate) enum Job {
    Input(InputEvent),
    ClipboardSet(String),
    ClipboardGet(oneshot::Sender<Option<String>>),
    Barrier(oneshot::Sender<()>),
    /// A session ended: release every key and button it left held.
    ReleaseAll,
}

/// The host's desktop: one thread for the whole host process that injects
/// input and owns the clipboard (X11 input and clipboard calls block, and on
/// X11 clipboard content is served only while its owner lives, so the owner
/// must outlive any one session). Cheap to clone.
#[derive(Clone)]
pub struct Desktop {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Desktop {
    /// Start the desktop thread (it ends when the last handle is dropped).
    pub fn start() -> Result<Self, crate::Error> {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("latchkey-desktop".into())
            .spawn(move || desktop_thread(rx))
            .map_err(|e| crate::Error::Io(format!("cannot start the desktop thread: {e}")))?;
        Ok(Desktop { jobs })
    }

    pub(crate) fn send(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    /// Wait until the desktop thread did everything sent before.
    pub(crate) async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Barrier(tx));
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
                tracing::trace!(kind = crate::features::input::kind(&event), "inject");
                if let Err(e) = injector.apply(&event) {
                    if !warned {
                        tracing::warn!(kind = crate::features::input::kind(&event), error = %e, "cannot inject input");
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
