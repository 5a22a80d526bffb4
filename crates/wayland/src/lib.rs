//! Latchkey on wlroots Wayland compositors (sway and its kin): screen capture
//! and input injection through the protocols wlroots offers to any client.
//!
//! - [`Screencopy`] captures an output with `zwlr_screencopy_manager_v1` into a
//!   shared-memory buffer and hands back an owned BGRA [`Frame`];
//!   [`Screencopy::capture_damage`] waits for the output to change and says
//!   where (`copy_with_damage`), so a host sends nothing while the screen is still.
//! - [`VirtualInput`] moves and clicks a virtual pointer
//!   (`zwlr_virtual_pointer_manager_v1`, in output pixels) and types on a
//!   virtual keyboard (`zwp_virtual_keyboard_manager_v1`) that carries its own
//!   keymap, so keys by name and text work whatever the desk's layout. It
//!   releases what it holds when dropped.
//! - [`Clipboard`] reads and sets the clipboard's text with
//!   `zwlr_data_control_manager_v1` (no window, no focus), serving pastes from a
//!   thread of its own while it lives.
//!
//! Frames are the output's buffer as the compositor renders it (an output's
//! rotation is not undone), and a plain [`Screencopy::capture`] waits for the
//! compositor's next frame (about 15 ms on a 60 Hz output).
//!
//! A compositor without these protocols (GNOME, KDE) gives
//! [`Error::MissingProtocol`] naming the one it lacks. Every wait on the
//! compositor has a deadline ([`Error::Timeout`]).
//!
//! The crate speaks the Wayland wire protocol in Rust (`wayland-client`'s own
//! backend): it links no C library and depends on no other Latchkey crate.
//!
//! # Layout
//!
//! - `display`: connecting (socket lookup), globals, outputs, seats, waits with deadlines.
//! - `screencopy`: [`Screencopy`] and [`Frame`].
//! - `convert`: shm pixel formats to BGRA, y-invert, damage boxes (pure).
//! - `input`: [`VirtualInput`].
//! - `clipboard`: [`Clipboard`] (wlr-data-control).
//! - `keymap`: the XKB keymap the virtual keyboard sends, key names, text to keystrokes (pure).
//! - `error`: [`Error`].

#![deny(missing_docs)]

mod clipboard;
mod convert;
mod display;
mod error;
mod input;
mod keymap;
mod screencopy;

pub use clipboard::{Clipboard, MAX_CLIPBOARD_BYTES};
pub use convert::Rect;
pub use display::{globals, OutputInfo, Target, DEFAULT_TIMEOUT};
pub use error::{Error, Result};
pub use input::{Button, VirtualInput, MAX_TEXT_CHARS, MAX_WHEEL_NOTCHES};
pub use keymap::key_names;
pub use screencopy::{Frame, PixelFormat, Screencopy};

#[cfg(test)]
mod tests {
    /// A host captures and injects from threads of its own.
    #[test]
    fn capture_and_input_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<super::Screencopy>();
        send::<super::VirtualInput>();
        send::<super::Frame>();
        send::<super::Error>();
        send::<super::Clipboard>();
    }
}
