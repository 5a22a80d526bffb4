//! One viewer session the app opened. Its window's commands call the
//! session's feature handles directly (`session.input()`, `.clipboard()`,
//! ...: nothing here lists the features again); here are the tasks that
//! forward the session's events (permissions changed), decode the host's
//! screen (and its sound, with `hear_sound`) for the window, and end the session.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use latchkey_core::permission::PermissionSet;
use latchkey_media::DisplayInfo;
use latchkey_session::viewer::{Granted, Session, SessionEvent};

use crate::error::{AppError, AppResult};
use crate::frames::Publisher;

/// What the app keeps of an open session.
pub struct SessionHandle {
    /// How it was granted.
    pub granted: Granted,
    /// The permissions in force now (the host may change them mid-session).
    pub permissions: Arc<Mutex<PermissionSet>>,
    /// The host's monitors and the streamed one.
    pub displays: Arc<Mutex<(Vec<DisplayInfo>, u32)>>,
    /// Where the window gets frames.
    pub frames_url: String,
    /// The session, for its feature handles.
    pub session: Arc<Session>,
    /// Ends the session (dropping it does too: the window closed).
    pub end: mpsc::Sender<()>,
}

/// Stream another monitor, and remember the list as it is then in `displays`.
pub async fn switch_display(
    session: &Session,
    displays: &Mutex<(Vec<DisplayInfo>, u32)>,
    id: u32,
) -> AppResult<DisplayInfo> {
    let shown = session.displays().switch(id).await?;
    let fresh = session.displays().list().await.ok();
    let mut displays = displays.lock().unwrap_or_else(|p| p.into_inner());
    match fresh {
        Some(list) => *displays = list,
        // The list did not come; the switch did.
        None => displays.1 = id,
    }
    Ok(shown)
}

/// Start the tasks of a connected session. `ended` runs once it is over,
/// with the reason; `permissions_changed` each time the host changes them.
pub async fn start(
    session: Session,
    granted: Granted,
    frames_url: String,
    publisher: Publisher,
    ended: impl FnOnce(String) + Send + 'static,
    permissions_changed: impl Fn(PermissionSet) + Send + 'static,
) -> AppResult<SessionHandle> {
    let session = Arc::new(session);
    let displays = session.displays().list().await.unwrap_or_default();
    let displays = Arc::new(Mutex::new(displays));
    let permissions = Arc::new(Mutex::new(session.permissions()));
    let mut events = session.events();
    let in_force = permissions.clone();
    let events_task = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(SessionEvent::PermissionsChanged(p)) => {
                    *in_force.lock().unwrap_or_else(|e| e.into_inner()) = p;
                    permissions_changed(p);
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    let mut video = session
        .video(Duration::from_secs(15))
        .await
        .map_err(AppError::from)?;
    let publisher_for_sound = publisher.clone();
    let mut video_task = tokio::spawn(async move {
        let mut sequence = 0u32;
        loop {
            match video.next_picture().await {
                Ok(Some(picture)) => {
                    sequence = sequence.wrapping_add(1);
                    publisher.publish(&picture, sequence);
                }
                Ok(None) => return "the host ended the session".to_string(),
                Err(e) => return format!("the screen stream broke: {e}"),
            }
        }
    });
    // The sound: its track appears with the host's first packet (only with
    // hear_sound, and not while the host is silent), so wait as long as it takes.
    let sound_session = session.clone();
    let sound_publisher = publisher_for_sound;
    let sound_task = tokio::spawn(async move {
        use latchkey_media::sound::{CHANNELS, SAMPLE_RATE};
        let Ok(mut sound) = sound_session.sound(Duration::from_secs(u64::MAX / 4)).await else {
            return;
        };
        while let Ok(Some(chunk)) = sound.next_chunk().await {
            sound_publisher.publish_sound(SAMPLE_RATE, CHANNELS as u32, &chunk.samples);
        }
    });
    let (end, mut end_rx) = mpsc::channel::<()>(1);
    let held = session.clone();
    tokio::spawn(async move {
        let reason = tokio::select! {
            r = &mut video_task => r.unwrap_or_else(|_| "the screen stream stopped".to_string()),
            e = end_rx.recv() => match e {
                Some(()) => "you ended the session".to_string(),
                None => "the window closed".to_string(),
            },
        };
        video_task.abort();
        sound_task.abort();
        held.close().await;
        events_task.abort();
        ended(reason);
    });
    Ok(SessionHandle {
        granted,
        permissions,
        displays,
        frames_url,
        session,
        end,
    })
}
