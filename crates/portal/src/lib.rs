//! Latchkey on any Wayland desktop with xdg-desktop-portal (KDE and others):
//! capture and input through the portal's `RemoteDesktop` + `ScreenCast`
//! interfaces, with a restore token kept between sessions (`persist_mode` 2)
//! so the person at the desk approves once, when unattended access is turned
//! on, and is not asked again.
//!
//! - [`TokenState`] (module `token`, no I/O): the token rules. What to ask the
//!   portal for ([`TokenState::plan`]), what a Start's outcome means
//!   ([`TokenState::on_start`]): every Start's new token replaces the old one;
//!   a token not accepted falls back to asking once
//!   ([`Verdict::DeskMustApproveOnce`], with [`AskReason::explain`] for the app).
//! - [`TokenFile`] (module `store`): the state on disk, 0600, written
//!   atomically; a damaged file is set aside with a clear error.
//! - [`PortalSession`] (module `portal`): the D-Bus side. CreateSession ->
//!   SelectDevices (keyboard, pointer, persist, token) -> SelectSources (one
//!   monitor) -> Start, then frames through `OpenPipeWireRemote` and the
//!   PipeWire capture of `latchkey-mutter` ([`PortalSession::capture`]),
//!   pointer, wheel and keys through `Notify*` calls.
//!
//! ```no_run
//! use latchkey_portal::{Bus, PortalOptions, PortalSession, TokenFile, Error};
//!
//! # fn main() -> latchkey_portal::Result<()> {
//! // The portal keeps approvals per user: the file lives in the user's state dir.
//! let file = TokenFile::new("/home/alice/.local/state/latchkey/portal-token.json");
//! let options = PortalOptions::unattended("KDE");
//! match PortalSession::start_with_file(&Bus::Session, &options, &file) {
//!     Ok(mut session) => {
//!         let mut capture = session.capture()?;
//!         let _frame = capture.frame(std::time::Duration::from_secs(5))?;
//!         session.move_to(10.0, 10.0)?;
//!     }
//!     Err(e @ (Error::DeskMustApproveOnce(_) | Error::PortalTooOld { .. })) => {
//!         println!("{}", e.explain().unwrap_or_default())
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What the portal can do, by version (checked on Debian 12)
//!
//! - **Remembering needs the frontend's support**: RemoteDesktop hands out
//!   restore tokens from version 2 (xdg-desktop-portal 1.18), ScreenCast from
//!   version 4 (1.12). Debian 12 has xdg-desktop-portal 1.16: ScreenCast 4,
//!   RemoteDesktop **1**, whatever the backend (GNOME 43, KDE 5.27, wlr 0.7).
//!   So there, view-only sessions ([`SessionKind::ScreenCast`]) work
//!   unattended after one approval, and sessions with input need the desk's
//!   approval every time: an unattended start fails with
//!   [`Error::PortalTooOld`] and says so, without showing anything.
//! - xdg-desktop-portal 1.16 handed the same screen-cast token back on every
//!   restore; the specification calls tokens single-use and newer portals
//!   rotate them. [`TokenState`] keeps whatever each Start returns, so both work.
//! - A token the portal does not know brings its dialog back (it does not
//!   fail): unattended ([`Approval::RestoreOnly`]) the session waits
//!   [`PortalOptions::timeout`] for an answer that needs no one, then closes
//!   (the dialog goes with it) and reports [`Error::DeskMustApproveOnce`].
//! - xdg-desktop-portal-gnome 43 runs headless on Mutter 43 (its dialog is a
//!   GTK window on the Wayland session, "Remember this selection" ticked by
//!   default); the tests answer it through Mutter's own remote desktop API,
//!   as the person at the desk would with a mouse.
//!
//! This crate depends on `latchkey-mutter` only (for its PipeWire capture and
//! keysyms), on no other Latchkey crate.
//!
//! # Layout
//!
//! - `token`: [`TokenState`] and the rules (pure).
//! - `store`: [`TokenFile`].
//! - `portal`: [`PortalSession`], [`probe`], the D-Bus side.
//! - `error`: [`Error`].

#![deny(missing_docs)]

mod error;
mod portal;
mod store;
mod token;

pub use error::{Error, Result};
pub use latchkey_mutter::{Bus, Button, Capture, CursorMode, Frame};
pub use portal::{
    probe, request_path, Approval, PortalInfo, PortalOptions, PortalSession, Stream,
    DEFAULT_TIMEOUT, MAX_TEXT_CHARS, MAX_WHEEL_NOTCHES, PORTAL, REMOTE_DESKTOP, SCREEN_CAST,
};
pub use store::TokenFile;
pub use token::{
    AskReason, Grant, Plan, RestoreToken, SessionKind, StartOutcome, TokenState, Verdict,
};
