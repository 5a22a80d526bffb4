//! Latchkey on GNOME's Wayland session: capture and input through Mutter's own
//! remote desktop interfaces on the session bus, the ones gnome-remote-desktop
//! uses (`org.gnome.Mutter.RemoteDesktop` and `org.gnome.Mutter.ScreenCast`).
//! No xdg-desktop-portal and no "share your screen?" dialog is involved, so
//! unattended access works.
//!
//! - [`MutterSession`] holds one D-Bus connection with a remote desktop session
//!   and the screen cast of one monitor tied to it (Mutter ends both when that
//!   connection closes): the monitor's size, the PipeWire node of its stream,
//!   pointer, wheel and keys (X keysyms; key names and text), and the
//!   clipboard's text through the session's selection calls. It releases what
//!   it holds and stops the session when dropped.
//! - [`probe`] says whether Mutter's services are on a bus (and their versions)
//!   without creating a session, for choosing the capture path.
//! - [`Capture`] connects a PipeWire video stream to that node on a thread of
//!   its own and keeps the latest frame as tightly packed BGRA.
//!
//! ```no_run
//! use std::time::Duration;
//! use latchkey_mutter::{Bus, Capture, MutterSession, SessionOptions};
//!
//! # fn main() -> latchkey_mutter::Result<()> {
//! let mut session = MutterSession::start(&Bus::Session, &SessionOptions::default())?;
//! let mut capture = Capture::connect(session.node_id(), None)?;
//! let frame = capture.frame(Duration::from_secs(5))?;
//! println!("{}x{} BGRA", frame.width, frame.height);
//! session.move_to(100.0, 200.0)?;
//! session.type_text("hello\n")?;
//! session.set_clipboard_text("copied from the viewer")?;
//! # Ok(())
//! # }
//! ```
//!
//! Every wait on Mutter or PipeWire has a deadline ([`Error::Timeout`]); a bus
//! without Mutter gives [`Error::MutterAbsent`] and a refused call
//! [`Error::Refused`] naming the method.
//!
//! What Mutter 43 offers and does not:
//!
//! - Input: absolute and relative pointer motion, buttons (evdev codes),
//!   discrete and smooth wheel, keys by keysym or evdev keycode, touch. Mutter
//!   creates the session's virtual pointer and keyboard on their first event,
//!   and a headless Mutter has no other input devices, so Wayland clients see
//!   a pointer and a keyboard only then; [`MutterSession::start`] makes both
//!   at once. Text types only characters of the session's keymap.
//! - Clipboard: `EnableClipboard`, `SetSelection`, `SelectionRead`,
//!   `SelectionWrite`/`SelectionWriteDone` and the `SelectionOwnerChanged` and
//!   `SelectionTransfer` signals: any mime type; this crate moves text.
//! - Not in 43: `ConnectToEIS` (libei) and keymap calls (`SetKeymap`), which
//!   later versions add, and damage metadata on the stream (asked for
//!   `SPA_META_VideoDamage`, none came): frames say nothing of where the
//!   screen changed, but Mutter sends one only when it did.
//! - Headless (`mutter --headless --wayland --no-x11 --virtual-monitor 1280x720`)
//!   renders in software with no flag or environment needed ("surfaceless
//!   renderer without GPU") and turns DMA-buf sharing off, so the stream
//!   negotiates shared memory, which is all [`Capture`] asks for.
//!
//! This crate depends on no other Latchkey crate.
//!
//! # Layout
//!
//! - `session`: [`MutterSession`], the D-Bus side.
//! - `capture`: [`Capture`] and [`Frame`], the PipeWire side.
//! - `keysym`: key names and characters to X keysyms (pure).
//! - `error`: [`Error`].

#![deny(missing_docs)]

mod capture;
mod error;
mod keysym;
mod session;

pub use capture::{Capture, Frame};
pub use error::{Error, Result};
pub use keysym::{key_names, keysym_for_char, keysym_for_name};
pub use session::{
    probe, Bus, Button, CursorMode, MutterInfo, MutterSession, SessionOptions, DEFAULT_TIMEOUT,
    MAX_CLIPBOARD_BYTES, MAX_TEXT_CHARS, MAX_WHEEL_NOTCHES, REMOTE_DESKTOP, SCREEN_CAST,
};

#[cfg(test)]
mod tests {
    /// A host captures and injects from threads of its own.
    #[test]
    fn session_and_capture_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<super::MutterSession>();
        send::<super::Capture>();
        send::<super::Frame>();
        send::<super::Error>();
    }
}
