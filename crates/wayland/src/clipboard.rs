//! Clipboard text on a wlroots compositor through `zwlr_data_control_manager_v1`
//! (wlr-data-control): reading the selection and setting it, with no window
//! and no keyboard focus.
//!
//! As on X11, the clipboard is not a store: the client that set it answers
//! every paste. So a [`Clipboard`] owns a thread of its own that keeps the
//! connection and answers pastes (each written from a short-lived thread, so a
//! reader that never reads holds nothing up) for as long as it lives; its
//! methods hand work to that thread and wait for the answer (bounded).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use wayland_client::backend::ObjectId;
use wayland_client::{Connection, Dispatch, Proxy, QueueHandle};
use wayland_protocols_wlr::data_control::v1::client::{
    zwlr_data_control_device_v1, zwlr_data_control_manager_v1, zwlr_data_control_offer_v1,
    zwlr_data_control_source_v1,
};

use crate::display::{Display, State, Target, DEFAULT_TIMEOUT};
use crate::error::{Error, Result};

/// Text MIME types offered when setting, and looked for (in this order) when reading.
const TEXT_TYPES: &[&str] = &[
    "text/plain;charset=utf-8",
    "UTF8_STRING",
    "text/plain",
    "STRING",
    "TEXT",
];

/// Largest clipboard text read, in bytes.
pub const MAX_CLIPBOARD_BYTES: usize = 16 << 20;

/// How often the clipboard thread looks for work between compositor events.
const TICK: Duration = Duration::from_millis(20);

/// What the data-control events said (part of the crate's event state).
#[derive(Default)]
pub(crate) struct ClipState {
    /// MIME types of each offer the compositor introduced.
    offers: HashMap<ObjectId, Vec<String>>,
    /// The clipboard's current content, as an offer (`None`: empty).
    selection: Option<zwlr_data_control_offer_v1::ZwlrDataControlOfferV1>,
    /// Pastes of what this client set: pipes waiting for the text.
    sends: Vec<OwnedFd>,
    /// Another client took the clipboard from this one's source.
    cancelled: Option<ObjectId>,
    /// The compositor ended the data device.
    finished: bool,
}

enum Job {
    Get(mpsc::Sender<Result<Option<String>>>),
    Set(String, mpsc::Sender<Result<()>>),
}

/// The clipboard of a wlroots compositor's first seat (text only).
pub struct Clipboard {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clipboard").finish_non_exhaustive()
    }
}

impl Clipboard {
    /// Connects to the display named by the environment (`WAYLAND_DISPLAY`).
    pub fn connect() -> Result<Self> {
        Self::connect_to(&Target::Env)
    }

    /// Connects to `target` and checks that it offers `zwlr_data_control_manager_v1`.
    pub fn connect_to(target: &Target) -> Result<Self> {
        let mut display = Display::connect(target, DEFAULT_TIMEOUT)?;
        let manager =
            display.bind::<zwlr_data_control_manager_v1::ZwlrDataControlManagerV1, _>(1, 1, ())?;
        let seat = display.seat()?;
        let device = manager.get_data_device(&seat, &display.qh, ());
        // The current selection comes right after the device is made.
        display.roundtrip()?;
        let (jobs, rx) = mpsc::channel();
        let mut owner = Owner {
            display,
            manager,
            device,
            own: None,
        };
        let thread = std::thread::Builder::new()
            .name("latchkey-wl-clipboard".into())
            .spawn(move || owner.run(&rx))
            .map_err(Error::io("starting the clipboard thread"))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    fn ask<T>(&self, job: impl FnOnce(mpsc::Sender<Result<T>>) -> Job) -> Result<T> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .as_ref()
            .and_then(|j| j.send(job(tx)).ok())
            .ok_or_else(|| Error::Wayland("the clipboard thread ended".into()))?;
        rx.recv_timeout(DEFAULT_TIMEOUT * 2)
            .map_err(|_| Error::Timeout {
                what: "the clipboard",
                after: DEFAULT_TIMEOUT * 2,
            })?
    }

    /// The clipboard's text; `None` when it is empty or holds no text.
    pub fn get_text(&self) -> Result<Option<String>> {
        self.ask(Job::Get)
    }

    /// Makes `text` the clipboard's content, served while `self` lives (or
    /// until another client sets the clipboard).
    pub fn set_text(&self, text: &str) -> Result<()> {
        let text = text.to_string();
        self.ask(|tx| Job::Set(text, tx))
    }
}

impl Drop for Clipboard {
    fn drop(&mut self) {
        // Closing the channel ends the thread within a tick.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The clipboard thread's side.
struct Owner {
    display: Display,
    manager: zwlr_data_control_manager_v1::ZwlrDataControlManagerV1,
    device: zwlr_data_control_device_v1::ZwlrDataControlDeviceV1,
    /// The source this client set the clipboard with, and its text.
    own: Option<(
        zwlr_data_control_source_v1::ZwlrDataControlSourceV1,
        Arc<String>,
    )>,
}

impl Owner {
    fn run(&mut self, jobs: &mpsc::Receiver<Job>) {
        loop {
            match jobs.try_recv() {
                Ok(Job::Get(reply)) => {
                    let _ = reply.send(self.get());
                }
                Ok(Job::Set(text, reply)) => {
                    let _ = reply.send(self.set(text));
                }
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if let Err(e) = self.pump(Instant::now() + TICK) {
                tracing::warn!(error = %e, "the Wayland clipboard connection failed");
                // Answer what comes with the error until the handle goes.
                while let Ok(job) = jobs.recv() {
                    let err = || Error::Wayland(format!("the clipboard connection failed: {e}"));
                    match job {
                        Job::Get(r) => drop(r.send(Err(err()))),
                        Job::Set(_, r) => drop(r.send(Err(err()))),
                    }
                }
                return;
            }
        }
        if let Some((source, _)) = self.own.take() {
            source.destroy();
        }
        self.device.destroy();
        self.manager.destroy();
        let _ = self.display.flush();
    }

    /// Handles compositor events until `until`, answering pastes of our text.
    fn pump(&mut self, until: Instant) -> Result<()> {
        match self.display.dispatch_until(until, "clipboard events", |s| {
            !s.clip.sends.is_empty() || s.clip.cancelled.is_some() || s.clip.finished
        }) {
            Ok(()) | Err(Error::Timeout { .. }) => {}
            Err(e) => return Err(e),
        }
        let clip = &mut self.display.state.clip;
        if clip.finished {
            return Err(Error::Wayland(
                "the compositor ended the data device".into(),
            ));
        }
        if let Some(id) = clip.cancelled.take() {
            if self.own.as_ref().is_some_and(|(s, _)| s.id() == id) {
                if let Some((source, _)) = self.own.take() {
                    source.destroy();
                }
            }
        }
        let sends = std::mem::take(&mut self.display.state.clip.sends);
        if let Some((_, text)) = &self.own {
            for fd in sends {
                let text = Arc::clone(text);
                // A reader that is slow (or never reads) holds up only this thread.
                let _ = std::thread::Builder::new()
                    .name("latchkey-wl-paste".into())
                    .spawn(move || {
                        let mut pipe = std::fs::File::from(fd);
                        let _ = pipe.write_all(text.as_bytes());
                    });
            }
        }
        Ok(())
    }

    fn set(&mut self, text: String) -> Result<()> {
        if let Some((old, _)) = self.own.take() {
            old.destroy();
        }
        let source = self.manager.create_data_source(&self.display.qh, ());
        for t in TEXT_TYPES {
            source.offer((*t).to_string());
        }
        self.device.set_selection(Some(&source));
        self.own = Some((source, Arc::new(text)));
        self.display.roundtrip()
    }

    fn get(&mut self) -> Result<Option<String>> {
        self.display.roundtrip()?;
        // Our own text: reading it through the compositor would ask this very
        // thread to write it while it waits to read.
        if let Some((_, text)) = &self.own {
            return Ok(Some(text.as_str().to_string()));
        }
        let clip = &self.display.state.clip;
        let Some(offer) = clip.selection.clone() else {
            return Ok(None);
        };
        let types = clip.offers.get(&offer.id()).cloned().unwrap_or_default();
        let Some(mime) = TEXT_TYPES.iter().find(|t| types.iter().any(|o| o == *t)) else {
            return Ok(None);
        };
        let (mut reader, writer) =
            std::io::pipe().map_err(Error::io("making a pipe for the clipboard"))?;
        offer.receive((*mime).to_string(), writer.as_fd());
        self.display.flush()?;
        drop(writer);
        let deadline = Instant::now() + self.display.timeout;
        let mut out = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    what: "the clipboard's owner to send its text",
                    after: self.display.timeout,
                });
            }
            let timeout = Timespec {
                tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                tv_nsec: left.subsec_nanos().into(),
            };
            let mut fds = [PollFd::new(&reader, PollFlags::IN | PollFlags::HUP)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(Error::io("waiting for the clipboard")(e.into())),
            }
            let n = reader
                .read(&mut buf)
                .map_err(Error::io("reading the clipboard"))?;
            if n == 0 {
                break;
            }
            if out.len() + n > MAX_CLIPBOARD_BYTES {
                return Err(Error::BadGeometry(format!(
                    "clipboard text longer than {MAX_CLIPBOARD_BYTES} bytes"
                )));
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(Some(String::from_utf8_lossy(&out).into_owned()))
    }
}

wayland_client::delegate_noop!(State: zwlr_data_control_manager_v1::ZwlrDataControlManagerV1);

impl Dispatch<zwlr_data_control_device_v1::ZwlrDataControlDeviceV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &zwlr_data_control_device_v1::ZwlrDataControlDeviceV1,
        event: zwlr_data_control_device_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use zwlr_data_control_device_v1::Event;
        let clip = &mut state.clip;
        match event {
            Event::DataOffer { id } => {
                clip.offers.insert(id.id(), Vec::new());
            }
            Event::Selection { id } => {
                if let Some(old) = clip.selection.take() {
                    if id.as_ref().is_none_or(|new| new.id() != old.id()) {
                        clip.offers.remove(&old.id());
                        old.destroy();
                    }
                }
                clip.selection = id;
            }
            Event::PrimarySelection { id: Some(offer) } => {
                clip.offers.remove(&offer.id());
                offer.destroy();
            }
            Event::Finished => clip.finished = true,
            _ => {}
        }
    }

    wayland_client::event_created_child!(State, zwlr_data_control_device_v1::ZwlrDataControlDeviceV1, [
        zwlr_data_control_device_v1::EVT_DATA_OFFER_OPCODE => (zwlr_data_control_offer_v1::ZwlrDataControlOfferV1, ()),
    ]);
}

impl Dispatch<zwlr_data_control_offer_v1::ZwlrDataControlOfferV1, ()> for State {
    fn event(
        state: &mut Self,
        offer: &zwlr_data_control_offer_v1::ZwlrDataControlOfferV1,
        event: zwlr_data_control_offer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwlr_data_control_offer_v1::Event::Offer { mime_type } = event {
            let types = state.clip.offers.entry(offer.id()).or_default();
            // Bounded: a client may offer any number of types.
            if types.len() < 64 {
                types.push(mime_type);
            }
        }
    }
}

impl Dispatch<zwlr_data_control_source_v1::ZwlrDataControlSourceV1, ()> for State {
    fn event(
        state: &mut Self,
        source: &zwlr_data_control_source_v1::ZwlrDataControlSourceV1,
        event: zwlr_data_control_source_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use zwlr_data_control_source_v1::Event;
        match event {
            // Every type offered is text in UTF-8.
            Event::Send { fd, .. } => state.clip.sends.push(fd),
            Event::Cancelled => state.clip.cancelled = Some(source.id()),
            _ => {}
        }
    }
}
