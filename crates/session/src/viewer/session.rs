//! The viewer's open session: one drive loop owns the peer connection, the
//! `control` channel and the signaling socket, and turns what the host says
//! about the whole session into state and [`SessionEvent`]s; each feature is
//! a typed handle ([`Session::input`], [`Session::pointer`],
//! [`Session::clipboard`], [`Session::clipboard_files`], [`Session::displays`],
//! [`Session::system_info`], [`Session::files`], [`Session::tunnel`],
//! [`Session::block_input`], [`Session::privacy_mode`], [`Session::lock_on_end`],
//! [`Session::restart`], [`Session::print`], [`Session::whiteboard`])
//! on its own data channel, opened
//! when the handle is first used. A handle's request reads only its own
//! channel, so an answer is never taken from (or dropped for) another.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, oneshot, watch, Mutex};
use webrtc::media_stream::track_remote::TrackRemote;

use latchkey_core::feature;
use latchkey_core::permission::PermissionSet;

use crate::features::clipboard::viewer::Clipboard;
use crate::features::clipboard_files::viewer::ClipboardFiles;
use crate::features::desk::viewer::DeskSwitch;
use crate::features::displays::viewer::Displays;
use crate::features::files::viewer::Files;
use crate::features::input::viewer::Input;
use crate::features::pointer::viewer::Pointer;
use crate::features::print::viewer::Print;
use crate::features::sound::SoundIn;
use crate::features::system_info::viewer::SystemInfoHandle;
use crate::features::tunnel::viewer::Tunnel;
use crate::features::video::VideoIn;
use crate::features::whiteboard::viewer::Whiteboard;
use crate::messages::HostSessionMessage;
use crate::transport::peer::{self, Control, ControlEvent, Peer, PeerEvent};
use crate::transport::signaling::SignalSocket;
use crate::viewer::link::{FeatureLink, SessionState};
use crate::viewer::track_drain::{DrainedTrack, Readers};
use crate::Error;

/// What happened to the session as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The host changed the session's permissions (its owner edited the profile).
    PermissionsChanged(PermissionSet),
    /// The host ended the session, and why (`password_changed`, ...).
    Ended(String),
    /// The connection closed.
    Closed,
}

/// An open session (the viewer keeps it to receive media; the probe closes
/// it). Every method takes `&self`, so one session can be shared (`Arc`) by
/// the tasks that drive its features.
pub struct Session {
    /// Keys, buttons, wheel, text.
    input: Input,
    /// Pointer motion (shares its sequence number with `input`'s sync).
    pointer: Pointer,
    /// Clipboard text both ways.
    clipboard: Clipboard,
    /// Files through the clipboard (their bytes go over `files`).
    clipboard_files: ClipboardFiles,
    /// The choice of screen.
    displays: Displays,
    /// The host's system information.
    system_info: SystemInfoHandle,
    /// The file manager.
    files: Files,
    /// TCP tunnels.
    tunnel: Tunnel,
    /// The host's local input blocked.
    block_input: DeskSwitch,
    /// The host's monitors blank (and its local input blocked).
    privacy_mode: DeskSwitch,
    /// The host's desktop locked when the session ends.
    lock_on_end: DeskSwitch,
    restart: crate::features::restart::viewer::Restart,
    /// The host's printer for this viewer.
    print: Print,
    /// Drawing on the host's screen.
    whiteboard: Whiteboard,
    /// What the drive loop knows: permissions, ended, closed.
    state: watch::Receiver<SessionState>,
    /// Where the drive loop announces what happens; subscribers come and go.
    events: broadcast::Sender<SessionEvent>,
    /// The host's screen track, once its first packet arrived (drained
    /// while nothing reads it).
    track: watch::Receiver<Option<DrainedTrack>>,
    /// The host's sound track, once its first packet arrived (only with `hear_sound`).
    sound: watch::Receiver<Option<DrainedTrack>>,
    /// Who reads (or waits for) the screen track: the drain leaves it alone meanwhile.
    video_readers: Readers,
    /// Who reads (or waits for) the sound track.
    sound_readers: Readers,
    /// Tells the drive loop to close everything (taken by the first close).
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    /// The drive loop, awaited by `close` so the host notices at once.
    driver: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Session {
    /// Start the drive loop of a session the handshake just granted.
    pub(crate) fn start(
        peer: Peer,
        control: Control,
        signal: SignalSocket,
        tracks: Vec<Arc<dyn TrackRemote>>,
        permissions: PermissionSet,
    ) -> Self {
        let pc = peer.connection().clone();
        let (state_tx, state) = watch::channel(SessionState {
            permissions,
            ..Default::default()
        });
        let (events, _) = broadcast::channel(16);
        let (track_tx, track) = watch::channel(None);
        let (sound_tx, sound) = watch::channel(None);
        let (video_readers, sound_readers) = (Readers::new(), Readers::new());
        let (stop, stopped) = oneshot::channel();
        let driver = tokio::spawn(drive(
            peer,
            control,
            signal,
            state_tx,
            events.clone(),
            Tracks {
                video: track_tx,
                sound: sound_tx,
                video_readers: video_readers.clone(),
                sound_readers: sound_readers.clone(),
                early: tracks,
            },
            stopped,
        ));
        let link = |spec| FeatureLink::new(spec, pc.clone(), state.clone());
        let pointer = Pointer::new(link(&feature::pointer::SPEC));
        Session {
            input: Input::new(link(&feature::input::SPEC), pointer.seq()),
            pointer,
            clipboard: Clipboard::new(link(&feature::clipboard::SPEC)),
            clipboard_files: ClipboardFiles::new(link(&feature::clipboard_files::SPEC)),
            displays: Displays::new(link(&feature::displays::SPEC)),
            system_info: SystemInfoHandle::new(link(&feature::system_info::SPEC)),
            files: Files::new(link(&feature::files::SPEC)),
            tunnel: Tunnel::new(link(&feature::tunnel::SPEC)),
            block_input: DeskSwitch::new(link(&feature::desk::BLOCK_INPUT)),
            privacy_mode: DeskSwitch::new(link(&feature::desk::PRIVACY_MODE)),
            lock_on_end: DeskSwitch::new(link(&feature::desk::LOCK_ON_END)),
            restart: crate::features::restart::viewer::Restart::new(link(&feature::restart::SPEC)),
            print: Print::new(link(&feature::print::SPEC)),
            whiteboard: Whiteboard::new(link(&feature::whiteboard::SPEC)),
            state,
            events,
            track,
            sound,
            video_readers,
            sound_readers,
            stop: std::sync::Mutex::new(Some(stop)),
            driver: Mutex::new(Some(driver)),
        }
    }

    /// Keys, buttons, wheel and text (`control_input`).
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// Pointer motion (`control_input`, or `show_pointer` to be shown only).
    pub fn pointer(&self) -> &Pointer {
        &self.pointer
    }

    /// The host's clipboard (`clipboard`).
    pub fn clipboard(&self) -> &Clipboard {
        &self.clipboard
    }

    /// The host's clipboard as files (`clipboard_files`); its whole
    /// operations take [`Session::files`] too, which moves the bytes.
    pub fn clipboard_files(&self) -> &ClipboardFiles {
        &self.clipboard_files
    }

    /// The host's monitors and the one streamed.
    pub fn displays(&self) -> &Displays {
        &self.displays
    }

    /// The host's system information (`system_info`).
    pub fn system_info(&self) -> &SystemInfoHandle {
        &self.system_info
    }

    /// The host's files (the host refuses without `file_manager`).
    pub fn files(&self) -> &Files {
        &self.files
    }

    /// TCP tunnels through the host (`tcp_tunnel`).
    pub fn tunnel(&self) -> &Tunnel {
        &self.tunnel
    }

    /// The host's local keyboards and pointers blocked (`block_input`).
    pub fn block_input(&self) -> &DeskSwitch {
        &self.block_input
    }

    /// The host's monitors blank, its local input blocked (`privacy_mode`).
    pub fn privacy_mode(&self) -> &DeskSwitch {
        &self.privacy_mode
    }

    /// Whether the host's desktop locks when this session ends
    /// (`lock_on_end`: on unless turned off).
    pub fn lock_on_end(&self) -> &DeskSwitch {
        &self.lock_on_end
    }

    /// Restarting the host with automatic reconnect (`restart`).
    pub fn restart(&self) -> &crate::features::restart::viewer::Restart {
        &self.restart
    }

    /// The host's printer for this viewer, its jobs as PDFs (`print`).
    pub fn print(&self) -> &Print {
        &self.print
    }

    /// Drawing on the host's screen (`whiteboard`).
    pub fn whiteboard(&self) -> &Whiteboard {
        &self.whiteboard
    }

    /// What happens to the session from now on.
    pub fn events(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    /// The permissions in force (as granted, then as the host last said).
    pub fn permissions(&self) -> PermissionSet {
        self.state.borrow().permissions
    }

    /// Wait until the connection closed; the host's reason, if it ended the session.
    pub async fn closed(&self) -> Option<String> {
        let mut state = self.state.clone();
        let s = state.wait_for(|s| s.closed).await;
        s.ok().and_then(|s| s.ended.clone())
    }

    /// The host's screen as decoded frames; waits up to `limit` for the track.
    pub async fn video(&self, limit: Duration) -> Result<VideoIn, Error> {
        // Held while waiting, so the drain does not eat the first keyframe.
        let waiting = self.video_readers.hold();
        let track = self.wait_track(&self.track, limit, "waiting for the host's screen");
        let (track, claim, missed) = track.await?.claim();
        drop(waiting);
        if missed {
            // What came before was discarded: the next keyframe is needed now.
            // (Asked before the decoder exists: it is not `Sync`, so no
            // borrow of it may live across an await of a `Send` future.)
            VideoIn::request_keyframe(&track).await;
        }
        VideoIn::new(track, claim)
    }

    /// A media track once it appeared (within `limit`, while the session is open).
    async fn wait_track(
        &self,
        track: &watch::Receiver<Option<DrainedTrack>>,
        limit: Duration,
        what: &'static str,
    ) -> Result<DrainedTrack, Error> {
        let mut track = track.clone();
        let mut state = self.state.clone();
        let wait = async {
            tokio::select! {
                t = track.wait_for(Option::is_some) => t.ok().and_then(|t| t.clone()).ok_or(Error::PeerGone),
                _ = state.wait_for(|s| s.closed) => Err(Error::PeerGone),
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| Error::Timeout(what))?
    }

    /// The host's sound, decoded; waits up to `limit` for its first packet
    /// (the host sends only with `hear_sound`, and nothing while silent).
    pub async fn sound(&self, limit: Duration) -> Result<SoundIn, Error> {
        let waiting = self.sound_readers.hold();
        let track = self.wait_track(&self.sound, limit, "waiting for the host's sound");
        let (track, claim, _) = track.await?.claim();
        drop(waiting);
        SoundIn::new(track, claim)
    }

    /// Tell the drive loop to close everything.
    fn stop(&self) {
        // No await while locked.
        let stop = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }

    /// End the session (and wait until the connection is closed).
    pub async fn close(&self) {
        self.stop();
        let driver = self.driver.lock().await.take();
        if let Some(driver) = driver {
            let _ = driver.await;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the drive loop puts the host's media tracks as they appear.
struct Tracks {
    video: watch::Sender<Option<DrainedTrack>>,
    sound: watch::Sender<Option<DrainedTrack>>,
    video_readers: Readers,
    sound_readers: Readers,
    /// Those announced during the handshake.
    early: Vec<Arc<dyn TrackRemote>>,
}

impl Tracks {
    async fn put(&self, track: Arc<dyn TrackRemote>) {
        match track.kind().await {
            rtc::rtp_transceiver::rtp_sender::RtpCodecKind::Audio => {
                self.sound
                    .send_replace(Some(DrainedTrack::start(track, &self.sound_readers)));
            }
            _ => {
                self.video
                    .send_replace(Some(DrainedTrack::start(track, &self.video_readers)));
            }
        }
    }
}

/// The drive loop: the session-level messages on `control`, the peer's
/// events, until the connection closes or the session is closed.
async fn drive(
    mut peer: Peer,
    control: Control,
    signal: SignalSocket,
    state: watch::Sender<SessionState>,
    events: broadcast::Sender<SessionEvent>,
    mut tracks: Tracks,
    mut stop: oneshot::Receiver<()>,
) {
    for t in std::mem::take(&mut tracks.early) {
        tracks.put(t).await;
    }
    let mut announced = Vec::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            ev = control.next() => match ev {
                ControlEvent::Message(bytes) => match crate::messages::parse::<HostSessionMessage>(&bytes) {
                    Some(HostSessionMessage::Permissions { permissions }) => {
                        tracing::info!(?permissions, "the host changed this session's permissions");
                        state.send_modify(|s| s.permissions = permissions);
                        let _ = events.send(SessionEvent::PermissionsChanged(permissions));
                    }
                    Some(HostSessionMessage::Ended { reason }) => {
                        tracing::info!(%reason, "the host ended the session");
                        state.send_modify(|s| s.ended = Some(reason.clone()));
                        let _ = events.send(SessionEvent::Ended(reason));
                    }
                    None => tracing::debug!("ignoring a malformed session message"),
                },
                ControlEvent::Closed => break,
                ControlEvent::Open => {}
            },
            ev = peer.next_event() => match ev {
                Some(PeerEvent::Track(t)) => tracks.put(t).await,
                Some(PeerEvent::DataChannel(dc)) => {
                    // One of our own feature channels, announced because it
                    // opened before the stack registered it (a race in the
                    // webrtc driver): dropping this handle would unregister
                    // the channel's events, ours included, so it is kept.
                    announced.push(dc);
                }
                Some(PeerEvent::State(s)) if peer::is_dead(s) => break,
                Some(PeerEvent::State(_)) => {}
                None => break,
            },
        }
    }
    state.send_modify(|s| s.closed = true);
    let _ = events.send(SessionEvent::Closed);
    drop(announced);
    control.close().await;
    peer.close().await;
    signal.close().await;
}
