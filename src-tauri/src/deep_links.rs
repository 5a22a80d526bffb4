//! `latchkey://` links handed to the app on its command line: by the desktop
//! when the app starts, or forwarded by the single-instance plugin when the
//! app already runs. Each link is checked by `latchkey_core::deep_link`
//! (which refuses any that carries a secret or anything unknown) and then
//! handed to the main window, which opens the connect flow, prefilled.

use std::sync::Mutex;

use serde::Serialize;
use tauri::{AppHandle, Manager};
use ts_rs::TS;

use latchkey_core::deep_link;

use crate::events::{self, DeepLink, Refused};

/// The last link, kept until the main window takes it (it may not be
/// listening yet when the app was started by the link).
#[derive(Default)]
pub struct PendingLink(Mutex<Option<LinkOutcome>>);

/// What became of a link.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LinkOutcome {
    /// The connect flow to open, when the link was good.
    pub link: Option<DeepLink>,
    /// Why it was refused, when it was not.
    pub refused: Option<String>,
}

/// Handle the `latchkey:` arguments among `args` (other arguments are ignored).
pub fn handle(app: &AppHandle, args: &[String]) {
    for arg in args
        .iter()
        .filter(|a| a.len() >= 9 && a[..9].eq_ignore_ascii_case("latchkey:"))
    {
        let outcome = match deep_link::parse(arg) {
            Ok(link) => {
                let link = DeepLink {
                    host_id: link.host_id.as_str().to_string(),
                    profile: link.profile,
                };
                events::emit(app, events::DEEP_LINK, link.clone());
                LinkOutcome {
                    link: Some(link),
                    refused: None,
                }
            }
            Err(e) => {
                let message = format!("A latchkey:// link was refused: {e}.");
                tracing::warn!(%message, "deep link refused");
                events::emit(
                    app,
                    events::DEEP_LINK_REFUSED,
                    Refused {
                        message: message.clone(),
                    },
                );
                LinkOutcome {
                    link: None,
                    refused: Some(message),
                }
            }
        };
        if let Some(pending) = app.try_state::<PendingLink>() {
            *pending.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        }
        crate::tray::show_main(app);
    }
}

/// The link not yet taken by the main window, if any (taking it clears it).
pub fn take(app: &AppHandle) -> Option<LinkOutcome> {
    app.try_state::<PendingLink>()
        .and_then(|p| p.0.lock().unwrap_or_else(|e| e.into_inner()).take())
}
