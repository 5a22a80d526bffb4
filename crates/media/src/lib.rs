//! Latchkey's media I/O edge: everything that touches the screen, the codec,
//! the keyboard, the mouse and the clipboard, and nothing about sessions.
//!
//! The session crate drives it frame by frame: [`Capturer::capture`] gives an
//! owned [`Frame`]; [`DamageTracker::update`] says whether anything changed
//! (an idle screen stops here: no conversion, no encoding); [`convert::to_i420`]
//! and [`Vp8Encoder::encode`] produce [`EncodedPacket`]s for the video track;
//! the viewer turns them back into frames with [`Vp8Decoder::decode`]. Input
//! from the viewer arrives as [`InputEvent`]s for an [`Injector`]; clipboard
//! text goes through a long-lived [`Clipboard`]. Values are handed over, never
//! callbacks, so the caller owns threads and timing.
//!
//! Platform: Linux with X11 (tests run under Xvfb), and wlroots Wayland
//! compositors (sway) for capture and input through `latchkey-wayland`. Capture, input and
//! clipboard use the X server named by the process's `DISPLAY` variable, as
//! `xcap`, `rdev` and `arboard` read it themselves; a process that serves a
//! given display sets `DISPLAY` before starting threads (or is started with it).
//!
//! # Layout
//!
//! - [`error`]: the crate's [`Error`] enum.
//! - [`frame`]: owned [`Frame`] (RGBA/BGRA) and [`I420Frame`] values, PSNR.
//! - [`capture`]: [`list_displays`] and [`Capturer`] (xcap; the Wayland path).
//! - [`x11_screen`]: [`X11Screen`], damage-driven grabs of one X11 monitor (the host's path on X11).
//! - [`wlr_screen`]: [`WlrScreen`], damage-aware captures of one output of a wlroots compositor (sway).
//! - [`session`]: which kind of desktop this is ([`session::detect`]) and what the host opened on it.
//! - [`damage`]: [`DamageTracker`], tile-based change detection.
//! - [`convert`]: RGBA/BGRA <-> I420 with SIMD (yuvutils-rs).
//! - [`encode`] / [`decode`]: [`Vp8Encoder`] and [`Vp8Decoder`] (libvpx).
//! - [`input`]: [`InputEvent`], [`Injector`] (rdev/XTest, or the wlr virtual pointer and keyboard on sway), physical key codes.
//! - [`clipboard`]: [`Clipboard`] (arboard, and [`x11_selection`] for targets of our naming).
//! - [`x11_selection`]: owning and reading the X11 CLIPBOARD in any target (x11rb).
//! - [`desk`]: [`desk::InputBlock`] and [`desk::Blanker`]: the person at the host's desk kept out (XI2 grabs, RandR gamma, DPMS).
//! - [`sound`]: [`sound::SoundCapture`] (the default sink's monitor, libpulse), [`sound::OpusEncoder`] / [`sound::OpusDecoder`] (libopus), WAV bytes.
//! - [`overlay`]: [`overlay::OverlayDisplay`]: click-through shaped windows on top of everything (the whiteboard, viewers' pointers).
//! - `vpx` (private): the only `unsafe` code, a minimal libvpx binding layer.
//! - `platform` (private): per-OS helpers (X11 keyboard map for text entry).
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod capture;
pub mod clipboard;
pub mod convert;
pub mod damage;
pub mod decode;
pub mod desk;
pub mod encode;
pub mod error;
pub mod frame;
pub mod input;
pub mod overlay;
mod platform;
pub mod session;
pub mod sound;
mod vpx;
pub mod wlr_screen;
pub mod x11_screen;
pub mod x11_selection;

pub use capture::{list_displays, Capturer, DisplayInfo};
pub use clipboard::{Clipboard, ClipboardImage};
pub use damage::{Damage, DamageTracker, Rect};
pub use decode::Vp8Decoder;
pub use encode::{EncodedPacket, EncoderConfig, Vp8Encoder};
pub use error::{Error, Result};
pub use frame::{Frame, I420Frame, PixelFormat};
pub use input::{Injector, InputEvent, MouseButton};
pub use wlr_screen::WlrScreen;
pub use x11_screen::X11Screen;

#[cfg(test)]
mod tests {
    /// The session crate moves these into their own threads or tasks.
    #[test]
    fn handles_are_send() {
        fn send<T: Send>() {}
        send::<crate::Capturer>();
        send::<crate::Vp8Encoder>();
        send::<crate::Vp8Decoder>();
        send::<crate::Injector>();
        send::<crate::Clipboard>();
        send::<crate::Frame>();
        send::<crate::I420Frame>();
    }
}
