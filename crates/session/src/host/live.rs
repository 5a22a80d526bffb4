//! An open session on the host, after the handshake granted it: the screen is
//! streamed, and every input and clipboard message is checked against the
//! session's permissions *on the host*, whatever the viewer's UI shows. What is
//! not allowed is dropped and counted in the audit log. The permissions in
//! force are the grant intersected with the profile as it is now, so a profile
//! edited during the session takes effect at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use latchkey_core::access::{self, Revoked, SessionCredential};
use latchkey_core::audit::AuditEvent;
use latchkey_core::permission::{Permission, PermissionSet};
use latchkey_media::{Clipboard, Injector, InputEvent};
use latchkey_store::Config;

use crate::features::video::{self, ScreenChoice, StreamCounters, VideoOut};
use crate::host::handshake::HostShared;
use crate::messages::{
    self, HostSessionMessage, PointerMessage, ViewerSessionMessage, MAX_CLIPBOARD_TEXT,
    POINTER_LABEL,
};
use crate::transport::peer::{Control, Peer, PeerEvent};

/// How often the profile is re-read (when the settings file changed).
const PERMISSION_RECHECK: Duration = Duration::from_millis(50);
/// How long a revoked session's connection stays up for the viewer to read why.
const ENDED_LINGER: Duration = Duration::from_secs(5);
/// How often an idle session looks for a revocation.
const REVOCATION_CHECK: Duration = Duration::from_millis(200);

/// Work for the desktop thread, which owns the injector and the clipboard.
enum Job {
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

    fn send(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    async fn barrier(&self) {
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

/// The permissions in force: the grant, within the profile as it is now,
/// and whether what the session logged in with was revoked meanwhile.
struct Permissions {
    shared: HostShared,
    credential: SessionCredential,
    granted: PermissionSet,
    current: PermissionSet,
    checked: Instant,
    generation: Option<u64>,
    revoked: Option<Revoked>,
}

impl Permissions {
    fn now(&mut self) -> (PermissionSet, bool) {
        if self.checked.elapsed() < PERMISSION_RECHECK {
            return (self.current, false);
        }
        self.checked = Instant::now();
        // The settings file's generation moves on every saved change.
        let generation = latchkey_store::config::settings_generation(&self.shared.config_dir);
        if generation == self.generation {
            return (self.current, false);
        }
        self.generation = generation;
        let next = match Config::open(&self.shared.config_dir, self.shared.store) {
            Ok(c) => {
                self.revoked = access::session_revoked(c.settings(), &self.credential);
                match (
                    self.revoked,
                    c.settings().profiles.get(&self.credential.profile),
                ) {
                    (None, Ok(p)) => self.granted.intersect(p.permissions),
                    _ => PermissionSet::NONE,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-read the settings");
                self.current
            }
        };
        let changed = next != self.current;
        self.current = next;
        (next, changed)
    }
}

/// Who got the session, and with what.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// The granted profile.
    pub profile: String,
    /// The permissions granted at the handshake (possibly lowered by the person accepting).
    pub permissions: PermissionSet,
    /// What the session logged in with (it ends when that is revoked).
    pub credential: SessionCredential,
}

/// Run the open session until the viewer leaves or the connection dies.
pub async fn run(
    shared: HostShared,
    peer: &mut Peer,
    control: &Control,
    early_channels: Vec<Arc<dyn webrtc::data_channel::DataChannel>>,
    video: Option<VideoOut>,
    grant: Grant,
) {
    let Grant {
        viewer,
        profile: _,
        permissions: granted,
        credential,
    } = grant;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(StreamCounters::default());
    let screen = Arc::new(ScreenChoice::default());
    if let Some(video) = video {
        let (stop, counters, screen) = (stop.clone(), counters.clone(), screen.clone());
        tokio::spawn(async move {
            if let Err(e) = video::stream_screen(video, stop, counters, screen).await {
                tracing::warn!(error = %e, "screen streaming stopped");
            }
        });
    }
    let desktop = shared.desktop.clone();
    let generation = latchkey_store::config::settings_generation(&shared.config_dir);
    let mut perms = Permissions {
        shared: shared.clone(),
        credential,
        granted,
        current: granted,
        checked: Instant::now(),
        generation,
        revoked: None,
    };
    // Revocation is noticed even when the viewer sends nothing (a view-only session).
    let mut recheck = tokio::time::interval(REVOCATION_CHECK);
    let mut ended_because = None;
    let (pointer_tx, mut pointer_rx) = mpsc::channel::<PointerMessage>(64);
    for dc in early_channels {
        if dc
            .label()
            .await
            .map(|l| l == POINTER_LABEL)
            .unwrap_or(false)
        {
            read_pointer(Control::new(dc), pointer_tx.clone());
        }
    }
    let mut last_pointer_seq = 0u64;
    // Clipboard text arriving in pieces, and whether it grew over the limit.
    let mut clipboard_in = String::new();
    let mut clipboard_overflow = false;
    let mut dropped: u64 = 0;
    let mut reported: Vec<&'static str> = Vec::new();
    let mut drop_message = |kind: &'static str, permission: Permission, dropped: &mut u64| {
        *dropped += 1;
        if !reported.contains(&kind) {
            reported.push(kind);
            let event = AuditEvent::MessageDropped {
                viewer: viewer.clone(),
                kind: kind.into(),
                permission: permission.name().into(),
            };
            if let Err(e) =
                Config::open(&shared.config_dir, shared.store).and_then(|c| c.record(event))
            {
                tracing::error!(error = %e, "cannot write the audit log");
            }
        }
    };
    loop {
        if let Some(why) = perms.revoked {
            // What this session logged in with was revoked: it ends, video included.
            tracing::info!(reason = why.name(), "session revoked");
            let _ = control
                .send(&HostSessionMessage::Ended {
                    reason: why.name().into(),
                })
                .await;
            ended_because = Some(why.name().to_string());
            break;
        }
        tokio::select! {
            _ = recheck.tick() => {
                let (allowed, changed) = perms.now();
                if changed && perms.revoked.is_none() {
                    let _ = control.send(&HostSessionMessage::Permissions { permissions: allowed }).await;
                }
            }
            msg = control.recv() => {
                let Ok(bytes) = msg else { break };
                let (allowed, changed) = perms.now();
                if perms.revoked.is_some() {
                    continue;
                }
                if changed {
                    let _ = control.send(&HostSessionMessage::Permissions { permissions: allowed }).await;
                }
                match messages::parse::<ViewerSessionMessage>(&bytes) {
                    Some(ViewerSessionMessage::Input { event }) => {
                        tracing::debug!(kind = input_kind(&event), "input");
                        if allowed.contains(Permission::ControlInput) {
                            let event = match event {
                                // Positions are on the streamed monitor.
                                InputEvent::PointerMove { x, y } => {
                                    let (ox, oy) = screen.origin();
                                    InputEvent::PointerMove { x: ox.saturating_add(x), y: oy.saturating_add(y) }
                                }
                                other => other,
                            };
                            desktop.send(Job::Input(event));
                        } else {
                            drop_message(input_kind(&event), Permission::ControlInput, &mut dropped);
                        }
                    }
                    Some(ViewerSessionMessage::ClipboardSet { text, more }) => {
                        if !allowed.contains(Permission::Clipboard) {
                            clipboard_in.clear();
                            if !more {
                                drop_message("clipboard_set", Permission::Clipboard, &mut dropped);
                                let _ = control.send(&HostSessionMessage::Refused { what: "clipboard_set".into(), permission: "clipboard".into() }).await;
                            }
                            continue;
                        }
                        if clipboard_in.len() + text.len() > MAX_CLIPBOARD_TEXT {
                            clipboard_overflow = true;
                            clipboard_in = String::new();
                        } else if !clipboard_overflow {
                            clipboard_in.push_str(&text);
                        }
                        if !more {
                            if std::mem::take(&mut clipboard_overflow) {
                                let _ = control.send(&HostSessionMessage::TooLarge { what: "clipboard_set".into(), limit: MAX_CLIPBOARD_TEXT }).await;
                            } else {
                                desktop.send(Job::ClipboardSet(std::mem::take(&mut clipboard_in)));
                            }
                        }
                    }
                    Some(ViewerSessionMessage::ClipboardGet) => {
                        if allowed.contains(Permission::Clipboard) {
                            let (tx, rx) = oneshot::channel();
                            desktop.send(Job::ClipboardGet(tx));
                            match rx.await.ok().flatten() {
                                Some(text) if text.len() > MAX_CLIPBOARD_TEXT => {
                                    let _ = control.send(&HostSessionMessage::TooLarge { what: "clipboard_get".into(), limit: MAX_CLIPBOARD_TEXT }).await;
                                }
                                Some(text) => {
                                    let chunks = messages::clipboard_chunks(&text);
                                    let last = chunks.len() - 1;
                                    for (i, piece) in chunks.into_iter().enumerate() {
                                        let _ = control.send(&HostSessionMessage::ClipboardText { text: Some(piece.to_string()), more: i < last }).await;
                                    }
                                }
                                None => {
                                    let _ = control.send(&HostSessionMessage::ClipboardText { text: None, more: false }).await;
                                }
                            }
                        } else {
                            drop_message("clipboard_get", Permission::Clipboard, &mut dropped);
                            let _ = control.send(&HostSessionMessage::Refused { what: "clipboard_get".into(), permission: "clipboard".into() }).await;
                        }
                    }
                    Some(ViewerSessionMessage::ListDisplays) => {
                        let _ = control.send(&displays_message(&screen, None).await).await;
                    }
                    Some(ViewerSessionMessage::SwitchDisplay { id }) => {
                        // The list, once capture started (it may still be starting).
                        let known = match displays_message(&screen, None).await {
                            HostSessionMessage::Displays { displays, .. } => displays.iter().any(|d| d.id == id),
                            _ => false,
                        };
                        if known {
                            screen.request(id);
                        }
                        let _ = control.send(&displays_message(&screen, known.then_some(id)).await).await;
                    }
                    Some(ViewerSessionMessage::Sync { id, pointer_seq }) => {
                        // Wait (briefly) for pointer motion still in flight on the unordered channel.
                        let deadline = Instant::now() + Duration::from_secs(1);
                        while pointer_seq.is_some_and(|n| n > last_pointer_seq) && Instant::now() < deadline {
                            match tokio::time::timeout(Duration::from_millis(50), pointer_rx.recv()).await {
                                Ok(Some(p)) => handle_pointer(&viewer, to_desktop(p, screen.origin()), &mut last_pointer_seq, &mut perms, &desktop, &mut drop_message, &mut dropped),
                                Ok(None) => break,
                                Err(_) => {}
                            }
                        }
                        desktop.barrier().await;
                        let _ = control.send(&HostSessionMessage::SyncDone { id }).await;
                    }
                    None => tracing::debug!("ignoring a malformed session message"),
                }
            }
            p = pointer_rx.recv() => {
                if let Some(p) = p {
                    handle_pointer(&viewer, to_desktop(p, screen.origin()), &mut last_pointer_seq, &mut perms, &desktop, &mut drop_message, &mut dropped);
                }
            }
            ev = peer.next_event() => match ev {
                Some(PeerEvent::DataChannel(dc)) if dc.label().await.map(|l| l == POINTER_LABEL).unwrap_or(false) => {
                    read_pointer(Control::new(dc), pointer_tx.clone());
                }
                Some(PeerEvent::State(s)) if crate::host::handshake::is_dead(s) => break,
                None => break,
                _ => {}
            },
        }
    }
    stop.store(true, Ordering::Relaxed);
    // Whatever the viewer still held (it dropped mid-keypress, say) is let go.
    desktop.send(Job::ReleaseAll);
    shared.pointers.remove(&viewer);
    let event = AuditEvent::SessionEnded {
        viewer: viewer.clone(),
        seconds: started.elapsed().as_secs(),
        frames_sent: counters.sent.load(Ordering::Relaxed),
        dropped_messages: dropped,
        reason: ended_because.clone(),
    };
    if let Err(e) = Config::open(&shared.config_dir, shared.store).and_then(|c| c.record(event)) {
        tracing::error!(error = %e, "cannot write the audit log");
    }
    if ended_because.is_some() {
        // Nothing more is streamed or injected; give the viewer a moment to
        // read why before the connection closes (its next message ends the wait).
        let _ = tokio::time::timeout(ENDED_LINGER, control.recv()).await;
    }
}

/// Forward pointer messages from the pointer channel to the session loop.
fn read_pointer(channel: Control, tx: mpsc::Sender<PointerMessage>) {
    tokio::spawn(async move {
        while let Ok(bytes) = channel.recv().await {
            if let Some(p) = messages::parse::<PointerMessage>(&bytes) {
                if tx.send(p).await.is_err() {
                    break;
                }
            }
        }
    });
}

/// A pointer position on the streamed monitor, moved onto the whole desktop.
fn to_desktop(p: PointerMessage, origin: (i32, i32)) -> PointerMessage {
    PointerMessage {
        x: origin.0.saturating_add(p.x),
        y: origin.1.saturating_add(p.y),
        ..p
    }
}

fn handle_pointer(
    viewer: &str,
    p: PointerMessage,
    last_seq: &mut u64,
    perms: &mut Permissions,
    desktop: &Desktop,
    drop_message: &mut impl FnMut(&'static str, Permission, &mut u64),
    dropped: &mut u64,
) {
    if p.seq <= *last_seq {
        return; // Older than what we applied: the unordered channel reordered it.
    }
    *last_seq = p.seq;
    let (x, y) = (p.x, p.y);
    let (allowed, _) = perms.now();
    if allowed.contains(Permission::ControlInput) {
        desktop.send(Job::Input(InputEvent::PointerMove { x, y }));
    } else if allowed.contains(Permission::ShowPointer) {
        // Shown to the person at the host (the desktop app draws it), never moved.
        perms.shared.pointers.set(viewer, x, y);
    } else {
        drop_message("pointer_move", Permission::ControlInput, dropped);
    }
}

/// The `Displays` answer; with `switching`, first waits (briefly) until the
/// capture thread streams that monitor.
async fn displays_message(screen: &ScreenChoice, switching: Option<u32>) -> HostSessionMessage {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let state = screen.state();
        let settled = match (&state, switching) {
            (Some((_, current)), Some(id)) => current.id == id,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if settled || Instant::now() >= deadline {
            return match state {
                Some((displays, current)) => HostSessionMessage::Displays {
                    displays,
                    current: current.id,
                },
                None => HostSessionMessage::Displays {
                    displays: Vec::new(),
                    current: 0,
                },
            };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn input_kind(event: &InputEvent) -> &'static str {
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
