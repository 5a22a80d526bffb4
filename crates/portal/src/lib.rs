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
//! let file = TokenFile::new("/var/lib/latchkey/portal-token.json");
//! let options = PortalOptions::unattended("KDE");
//! match PortalSession::start_with_file(&Bus::Session, &options, &file) {
//!     Ok(mut session) => {
//!         let mut capture = session.capture()?;
//!         let _frame = capture.frame(std::time::Duration::from_secs(5))?;
//!         session.move_to(10.0, 10.0)?;
//!     }
//!     Err(Error::DeskMustApproveOnce(reason)) => println!("{}", reason.explain()),
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! This crate depends on `latchkey-mutter` only (for its PipeWire capture and
//! keysyms), on no other Latchkey crate.

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
