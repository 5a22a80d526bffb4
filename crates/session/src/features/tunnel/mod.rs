//! TCP tunnels (`tcp_tunnel`): ssh's `-L` and `-R` on the one `tcp_tunnel`
//! channel, each TCP connection a stream with its own credit window
//! (`stream`). The wire messages, the spec form and the destination policy
//! are in `latchkey_core::feature::tunnel`.

pub mod host;
mod stream;
pub mod viewer;
