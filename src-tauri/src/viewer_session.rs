//! One viewer session the app opened: a task that owns the session and
//! answers the commands its window sends through the session's feature
//! handles, a task that forwards the session's events (permissions changed),
//! and a task that decodes the host's screen and publishes each picture for
//! the session's window.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use latchkey_core::permission::PermissionSet;
use latchkey_media::{DisplayInfo, InputEvent};
use latchkey_session::viewer::{Granted, Session, SessionEvent};

use crate::error::{AppError, AppResult};
use crate::frames::Publisher;

/// What a session's window may ask of it.
pub enum Command {
    /// A key, button, wheel or text event.
    Input(InputEvent, oneshot::Sender<AppResult<()>>),
    /// Pointer motion.
    Pointer(i32, i32, oneshot::Sender<AppResult<()>>),
    /// Read the host's clipboard.
    ClipboardGet(oneshot::Sender<AppResult<Option<String>>>),
    /// Set the host's clipboard.
    ClipboardSet(String, oneshot::Sender<AppResult<()>>),
    /// Stream another monitor.
    SwitchDisplay(u32, oneshot::Sender<AppResult<DisplayInfo>>),
    /// Leave.
    End,
}

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
    /// Commands to the session task.
    pub commands: mpsc::Sender<Command>,
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
    let (tx, mut rx) = mpsc::channel::<Command>(64);
    let shown = displays.clone();
    tokio::spawn(async move {
        let reason = loop {
            let command = tokio::select! {
                c = rx.recv() => c,
                r = &mut video_task => {
                    break r.unwrap_or_else(|_| "the screen stream stopped".to_string());
                }
            };
            let Some(command) = command else {
                break "the window closed".to_string();
            };
            match command {
                Command::Input(event, reply) => {
                    let _ = reply.send(session.input().send(event).await.map_err(AppError::from));
                }
                Command::Pointer(x, y, reply) => {
                    let moved = session.pointer().move_to(x, y).await;
                    let _ = reply.send(moved.map_err(AppError::from));
                }
                Command::ClipboardGet(reply) => {
                    let _ = reply.send(session.clipboard().get().await.map_err(AppError::from));
                }
                Command::ClipboardSet(text, reply) => {
                    let set = session.clipboard().set(&text).await;
                    let _ = reply.send(set.map_err(AppError::from));
                }
                Command::SwitchDisplay(id, reply) => {
                    let result = session.displays().switch(id).await.map_err(AppError::from);
                    if result.is_ok() {
                        let fresh = session.displays().list().await.ok();
                        let mut shown = shown.lock().unwrap_or_else(|p| p.into_inner());
                        match fresh {
                            Some(list) => *shown = list,
                            // The list did not come; the switch did.
                            None => shown.1 = id,
                        }
                    }
                    let _ = reply.send(result);
                }
                Command::End => break "you ended the session".to_string(),
            }
        };
        video_task.abort();
        session.close().await;
        events_task.abort();
        ended(reason);
    });
    Ok(SessionHandle {
        granted,
        permissions,
        displays,
        frames_url,
        commands: tx,
    })
}
