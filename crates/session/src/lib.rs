//! # latchkey-session: a viewer reaches a host
//!
//! The signaling client, the WebRTC peer, and both sides of the handshake of
//! DESIGN §5, enforcing the access decision of DESIGN §2 with the rules from
//! `latchkey_core` and the state kept by `latchkey_store`.
//!
//! # Layout
//!
//! - [`signaling`]: the WebSocket client for the rendezvous protocol.
//! - [`messages`]: messages of an open session (input, clipboard, sync).
//! - [`peer`]: the WebRTC peer connection and the `control` data channel.
//! - [`host`]: the host's main loop (registration, reconnects, sessions).
//! - [`host_live`]: an open session on the host: screen, input and clipboard, permission-checked.
//! - [`host_session`]: one incoming session: the handshake and the decision.
//! - [`viewer`]: connecting to a host: the viewer's half of the handshake.
//! - [`video`]: the screen as a VP8 video track (host) and its decoding (viewer).
//! - [`recording`]: a settled screenshot (PNG) or a recording (Y4M) of the host's screen.
//! - [`requests`]: requests waiting for the person at the host.
//! - [`control_socket`]: the host's local socket for `requests`/`accept`/`deny`.
//! - [`error`]: the crate's error type.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod control_socket;
pub mod error;
pub mod host;
pub mod host_live;
pub mod host_session;
pub mod messages;
pub mod peer;
pub mod recording;
pub mod requests;
pub mod signaling;
pub mod video;
pub mod viewer;

pub use error::Error;
