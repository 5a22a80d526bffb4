//! What an open session carries beyond the handshake.

pub mod recording;
pub mod video;
