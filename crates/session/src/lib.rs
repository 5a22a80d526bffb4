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
//!   - [`host::live`]: an open session on the host: the screen, the settings watcher, the router's channels.
//!   - `host::router`: one task per feature channel, each message checked against the live grant.
//!   - [`host::shared`]: what every session of a host shares (and helpers of both the above).
//!   - [`host::desktop`]: the threads that inject input and own the clipboard.
//!   - [`host::requests`]: requests waiting for the person at the host.
//!   - [`host::control_socket`]: the host's local socket for `requests`/`accept`/`deny` and admin operations.
//!   - [`host::active_desktop`]: which desktop to share and whose it is (the X display of the session in front).
//! - [`viewer`]: connecting to a host: the driver of core's viewer handshake (`viewer/handshake.rs`).
//!   - [`viewer::session`]: the open session: one drive loop, events, a handle per feature.
//! - [`features`]: what an open session carries, one module per feature of
//!   `latchkey_core::feature` with its `host` and `viewer` halves.
//!   - [`features::input`], [`features::pointer`], [`features::clipboard`], [`features::displays`].
//!   - [`features::video`]: the screen as a VP8 video track (host) and its decoding (viewer).
//!   - [`features::recording`]: a settled screenshot (PNG) or a recording (Y4M) of the host's screen.
//! - [`messages`]: the session-level messages on `control` after the handshake (permissions, ended).
//! - [`error`]: the crate's error type.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod features;
pub mod host;
mod machine_clock;
pub mod messages;
pub mod transport;
pub mod viewer;

pub use error::Error;
