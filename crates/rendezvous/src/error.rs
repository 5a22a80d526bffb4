//! The crate's error type: what can stop [`crate::serve`] itself.
//!
//! Trouble with one client (bad frames, bad signatures, a vanished peer) is
//! never an [`Error`]: it is answered on the wire with a
//! [`latchkey_core::signal::ServerMessage::Error`] or ends that one
//! connection, and the server carries on.

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ID database could not be opened or prepared.
    #[error("ID database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Redis (the shared state of several nodes) could not be reached or
    /// answered something unexpected at start-up.
    #[error("Redis: {0}")]
    Redis(String),
    /// The configuration cannot work (e.g. a node name that is not
    /// `[A-Za-z0-9_-]{1,64}`, or both an SQLite file and Redis).
    #[error("configuration: {0}")]
    Config(String),
    /// The listener failed while serving.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    /// A task of the server panicked (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(Box::new(e))
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        Error::Redis(e.to_string())
    }
}
