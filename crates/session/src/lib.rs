//! # latchkey-session: a viewer reaches a host
//!
//! The signaling client, the WebRTC peer, and both sides of the handshake of
//! DESIGN §5, enforcing the access decision of DESIGN §2 with the rules from
//! `latchkey_core` and the state kept by `latchkey_store`.
//!
//! # Layout
//!
//! - [`transport`]: how bytes move: the rendezvous signaling client and the WebRTC peer.
//!   - [`transport::signaling`]: the WebSocket client for the rendezvous protocol.
//!   - [`transport::peer`]: the WebRTC peer connection and the `control` data channel.
//! - [`host`]: the host's main loop (registration, reconnects, sessions).
//!   - [`host::handshake`]: one incoming session: drives core's host handshake (the decision), then the session it grants.
//!   - [`host::live`]: an open session on the host: screen, input and clipboard, permission-checked.
//!   - [`host::requests`]: requests waiting for the person at the host.
//!   - [`host::control_socket`]: the host's local socket for `requests`/`accept`/`deny` and admin operations.
//!   - [`host::active_desktop`]: which desktop to share and whose it is (the X display of the session in front).
//! - [`viewer`]: connecting to a host: the driver of core's viewer handshake (`viewer/handshake.rs`) and the open session.
//! - [`features`]: what an open session carries.
//!   - [`features::video`]: the screen as a VP8 video track (host) and its decoding (viewer).
//!   - [`features::recording`]: a settled screenshot (PNG) or a recording (Y4M) of the host's screen.
//! - [`messages`]: messages of an open session (input, clipboard, sync).
//! - [`error`]: the crate's error type.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod features;
pub mod host;
pub mod messages;
pub mod transport;
pub mod viewer;

pub use error::Error;
