//! # latchkey-rendezvous: the ID and signaling server
//!
//! Hosts keep a WebSocket open to this server. Each registers by signing a
//! fresh nonce with its Ed25519 device key; the server binds the key to a
//! 9-digit ID for good (SQLite, or Redis shared by several nodes) and routes
//! to that connection. Viewers look
//! an ID up and exchange SDP offers, answers and ICE candidates with the host
//! through the server, which relays them verbatim: it never sees a password,
//! token or code, and logs no SDP. It also hands out short-lived TURN
//! credentials for coturn (`use-auth-secret`).
//!
//! The wire protocol (JSON text frames) is defined in
//! [`latchkey_core::signal`]; this crate only serves it.
//!
//! ```no_run
//! # async fn run() -> Result<(), latchkey_rendezvous::Error> {
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! let config = latchkey_rendezvous::ServerConfig {
//!     db_path: Some("/var/lib/latchkey/ids.sqlite".into()),
//!     ..Default::default()
//! };
//! latchkey_rendezvous::serve(listener, config, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! Several nodes share one Redis with [`ServerConfig::redis`]:
//!
//! ```no_run
//! # async fn run() -> Result<(), latchkey_rendezvous::Error> {
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! let config = latchkey_rendezvous::ServerConfig {
//!     redis: Some(latchkey_rendezvous::RedisConfig {
//!         url: "redis://127.0.0.1:6379".into(),
//!         node_id: Some("node1".into()),
//!     }),
//!     ..Default::default()
//! };
//! latchkey_rendezvous::serve(listener, config, std::future::pending()).await
//! # }
//! ```
//!
//! # Layout
//!
//! - `server`: [`serve`] and [`ServerConfig`]: the HTTP routes (`/` and `/ws`
//!   for the WebSocket, `/healthz`, `/metrics`), the connection cap, and
//!   graceful shutdown (a `watch` broadcast to every connection, then waiting
//!   for each to drop its `mpsc` sender, as in mini-redis).
//! - `connection`: one WebSocket's loop: rate and size checks, parsing,
//!   host registration (`Hello` -> `Challenge` -> `Register` -> `Registered`),
//!   and each message's handling; delivers what other connections send it.
//! - `state`: the routing tables shared by all connections (connected hosts,
//!   sessions, pending deadlines) behind a `std::sync::Mutex` that is never
//!   held across an `.await`.
//! - `ids`: the ID registry the connections use, embedded or in Redis.
//! - `db`: the SQLite table binding IDs to keys (`UNIQUE` both ways).
//! - `cluster`: several nodes on one Redis ([`RedisConfig`]): the registry
//!   there, presence (which node holds each host, with node liveness), and
//!   the pub/sub bus that carries signaling between nodes.
//! - `turn`: coturn `use-auth-secret` credentials, and [`TurnConfig`].
//! - `limits`: [`Limits`] and the per-connection token bucket.
//! - `proxy`: [`TrustedProxy`] and the client address behind a reverse proxy.
//! - `metrics`: counters and the Prometheus text for `/metrics`.
//! - `error`: [`Error`], what can stop the server (never a client's misstep:
//!   those are answered with `Error { code }` on the wire).
//!
//! # Behaviour worth knowing
//!
//! - A second connection registering the same key takes the ID over; the
//!   first gets `Error { code: Replaced }` and is closed (also across nodes).
//! - A session is pending from the viewer's `Offer` until the host's
//!   `Answer`; each host may have [`Limits::max_pending_per_host`] of them,
//!   and they end after [`Limits::pending_timeout`] (both sides get `Bye`).
//! - When a connection goes away, the other party of each of its sessions
//!   gets `Bye { reason: "peer disconnected" }`.
//! - `Incoming.from_addr` is the TCP peer address, unless that peer is in
//!   [`ServerConfig::trusted_proxies`]: then it is the client named in the
//!   proxy's `Forwarded` or `X-Forwarded-For` header (the rightmost entry that
//!   is not itself a trusted proxy). Nobody else's forwarding headers count.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cluster;
mod connection;
mod db;
mod error;
mod ids;
mod limits;
mod metrics;
mod proxy;
mod server;
mod state;
mod turn;

pub use cluster::RedisConfig;
pub use error::Error;
pub use limits::Limits;
pub use proxy::{BadCidr, TrustedProxy};
pub use server::{serve, ServerConfig};
pub use turn::TurnConfig;
