//! What an open session carries beyond the handshake: one module per
//! feature of `latchkey_core::feature`, each with its `host` half (run by the
//! host's router on the feature's own data channel) and its `viewer` half
//! (a handle of the viewer's session), plus the screen and the sound.

pub mod clipboard;
pub mod clipboard_files;
pub mod desk;
pub mod displays;
pub mod files;
pub mod input;
pub mod lock_on_end;
pub mod pointer;
pub mod print;
pub mod recording;
pub mod restart;
pub mod sound;
pub mod system_info;
pub mod tunnel;
pub mod video;
pub mod vp8_rtp;
pub mod whiteboard;
