//! The session crate's error type.

/// What can go wrong while setting up or running a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input from the user (a malformed URL or ID).
    #[error("{0}")]
    Usage(String),
    /// The rendezvous server cannot be reached.
    #[error("cannot reach the rendezvous server {0}")]
    RendezvousUnreachable(String),
    /// The connection to the rendezvous broke.
    #[error("lost the rendezvous server: {0}")]
    RendezvousLost(String),
    /// The rendezvous refused something or answered oddly.
    #[error("rendezvous: {0}")]
    Rendezvous(String),
    /// The WebRTC stack failed.
    #[error("WebRTC: {0}")]
    WebRtc(String),
    /// The other side broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The DTLS certificates this connection authenticated are not the ones
    /// the SDPs or the other side's hello name: someone in the middle.
    #[error("transcript_mismatch: {0}")]
    TranscriptMismatch(String),
    /// The host ended the session (what it logged in with was revoked).
    #[error("the host ended the session: {0}")]
    Ended(String),
    /// The other side went away.
    #[error("the other side went away")]
    PeerGone,
    /// A step took too long.
    #[error("timed out {0}")]
    Timeout(&'static str),
    /// The local configuration or secret store failed.
    #[error(transparent)]
    Store(#[from] latchkey_store::Error),
    /// A rule or a stored value of the core.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
    /// The host's control socket refused this user (the file system or the
    /// host's peer check): not root, the host's user or a `latchkey` member.
    #[error("{0}")]
    Forbidden(String),
    /// Local I/O (the control socket).
    #[error("{0}")]
    Io(String),
}
