//! An open session on the host, after the handshake granted it: the screen
//! is streamed, and each feature's data channel is handed to the
//! router (`host::router`), which checks every message against the
//! session's permissions *on the host*, whatever the viewer's UI shows. The
//! permissions in force are the grant intersected with the profile as it is
//! now, so a profile edited during the session takes effect at once; one
//! settings watcher notices that, and a revocation, by the settings file's
//! generation counter. The `control` channel carries only what concerns the
//! whole session: `Permissions` (changed) and `Ended`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use latchkey_core::access::{self, SessionCredential};
use latchkey_core::audit::AuditEvent;
use latchkey_core::permission::{Permission, PermissionSet};
use latchkey_store::Config;

use crate::features::video::{self, ScreenChoice, StreamCounters, VideoOut};
use crate::host::desktop::Job;
use crate::host::feature_host::{DropLog, FeatureContext, LiveGrant};
use crate::host::router::Router;
use crate::host::shared::{is_dead, HostShared};
use crate::messages::HostSessionMessage;
use crate::transport::peer::{Control, Peer, PeerEvent};

/// How often the settings file's generation is looked at (a message is
/// never judged on permissions older than this).
const PERMISSION_RECHECK: Duration = Duration::from_millis(50);
/// How long a revoked session's connection stays up for the viewer to read why.
const ENDED_LINGER: Duration = Duration::from_secs(5);

/// Who got the session, and with what.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// The name it gave (shown beside its pointer; proves nothing).
    pub viewer_name: String,
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
        viewer_name,
        profile,
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
    let (grant_tx, mut grant_rx) = watch::channel(LiveGrant {
        permissions: granted,
        revoked: None,
    });
    // Revocation is noticed even when the viewer sends nothing (a view-only session).
    let watcher = tokio::spawn(watch_settings(
        shared.clone(),
        credential,
        granted,
        grant_tx,
    ));
    let drops = DropLog::default();
    let lock_on_end = Arc::new(AtomicBool::new(true));
    let mut router = Router::new(FeatureContext {
        shared: shared.clone(),
        viewer: viewer.clone(),
        viewer_name,
        profile,
        grant: grant_rx.clone(),
        drops: drops.clone(),
        screen,
        pointer_seq: Arc::new(watch::channel(0).0),
        files: Default::default(),
        lock_on_end: lock_on_end.clone(),
    });
    for dc in early_channels {
        router.open(dc).await;
    }
    let mut announced = granted;
    let mut ended_because = None;
    loop {
        tokio::select! {
            changed = grant_rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let now = *grant_rx.borrow_and_update();
                if let Some(why) = now.revoked {
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
                if now.permissions != announced {
                    announced = now.permissions;
                    let _ = control.send(&HostSessionMessage::Permissions { permissions: now.permissions }).await;
                }
            }
            msg = control.recv() => {
                if msg.is_err() {
                    break;
                }
                tracing::debug!("ignoring a message on control during the session");
            }
            ev = peer.next_event() => match ev {
                Some(PeerEvent::DataChannel(dc)) => router.open(dc).await,
                Some(PeerEvent::State(s)) if is_dead(s) => break,
                None => break,
                _ => {}
            },
        }
    }
    watcher.abort();
    router.stop().await;
    stop.store(true, Ordering::Relaxed);
    // Whatever the viewer still held (it dropped mid-keypress, say) is let go.
    shared.desktop.send(Job::ReleaseAll);
    shared.pointers.remove(&viewer);
    // Locked before the end is audited: whoever reads the log sees it done.
    let permissions = grant_rx.borrow().permissions;
    if permissions.contains(Permission::LockOnEnd) && lock_on_end.load(Ordering::Relaxed) {
        match tokio::task::spawn_blocking(crate::host::lock::lock_desktop).await {
            Ok(Ok(how)) => tracing::info!(how, "desktop locked at the end of the session"),
            Ok(Err(why)) => tracing::warn!(%why, "cannot lock the desktop"),
            Err(e) => tracing::warn!(error = %e, "cannot lock the desktop"),
        }
    }
    let event = AuditEvent::SessionEnded {
        viewer: viewer.clone(),
        seconds: started.elapsed().as_secs(),
        frames_sent: counters.sent.load(Ordering::Relaxed),
        dropped_messages: drops.count(),
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

/// The one settings watcher of a session: re-reads the profile whenever the
/// settings file's generation moved, and publishes the permissions in force
/// (the grant within the profile as it is now) and any revocation.
async fn watch_settings(
    shared: HostShared,
    credential: SessionCredential,
    granted: PermissionSet,
    grant: watch::Sender<LiveGrant>,
) {
    let mut generation = latchkey_store::config::settings_generation(&shared.config_dir);
    let mut tick = tokio::time::interval(PERMISSION_RECHECK);
    loop {
        tick.tick().await;
        // The settings file's generation moves on every saved change.
        let now = latchkey_store::config::settings_generation(&shared.config_dir);
        if now == generation {
            continue;
        }
        generation = now;
        let next = match Config::open(&shared.config_dir, shared.store) {
            Ok(c) => {
                let revoked = access::session_revoked(c.settings(), &credential);
                let permissions = match (revoked, c.settings().profiles.get(&credential.profile)) {
                    (None, Ok(p)) => granted.intersect(p.permissions),
                    _ => PermissionSet::NONE,
                };
                LiveGrant {
                    permissions,
                    revoked,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-read the settings");
                continue;
            }
        };
        grant.send_if_modified(|current| {
            let changed = *current != next;
            *current = next;
            changed
        });
    }
}
