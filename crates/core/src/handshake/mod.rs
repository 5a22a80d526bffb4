//! The session handshake on the `control` data channel (DESIGN §5): its
//! messages and the transcript both sides sign. Runs before any media is sent.
//!
//! ```text
//! viewer -> Hello { device_key, signature over (viewer role, transcript) }
//! host   -> Hello { device_key, host_id, signature over (host role, transcript) }
//! viewer -> Token { token } | Reconnect { credential } | Password { profile, request, remember } | Ask { profile }
//! host   ->                                    | PasswordChallenge { response, ksf }     | Waiting { timeout_s }
//! viewer ->                                    | PasswordFinish { finalization }
//! host   -> SecondFactorRequired               (when 2FA applies)
//! viewer -> SecondFactor { code }
//! host   -> Granted { method, profile, permissions, token? } | Denied { error, retry_after_s? }
//! ```
//!
//! The transcript is both DTLS fingerprints of this peer connection: each
//! side's own certificate, and the certificate the DTLS handshake actually
//! authenticated for the other side (never what SDP text claims, which a
//! rendezvous could rewrite). Signing it binds each device key to this very
//! connection; OPAQUE uses it as its context, so a password login cannot be
//! relayed into another connection. A man in the middle terminates DTLS with
//! its own certificates, so the two sides' transcripts differ and neither
//! hello verifies (`transcript_mismatch`). Tokens need no extra proof: they are
//! checked against the viewer key the hello signature just proved.
//!
//! # The two state machines
//!
//! [`host::HostHandshake`] and [`viewer::ViewerHandshake`] run this exchange
//! as typed states (rustls style): each state is a struct named for what it
//! awaits, a transition consumes it and returns the next one, and a message
//! that does not belong in a state is refused by one check
//! ([`require_msg!`], giving [`HandshakeError::UnexpectedMessage`]). Neither
//! does any I/O (str0m style): the driver in `latchkey-session` feeds in what
//! arrived (a message, the channel closing, the person's decision, a timer
//! tick, always with the time as a value) and then drains the outputs with
//! `poll_output` until it returns `None`, carrying out each one in order:
//! send a message, write an audit event, persist a change, show a request,
//! sleep until a deadline, and finally act on the outcome. Every mutation is
//! followed by a full drain; an output whose persistence fails ends the
//! handshake (the driver calls `abort`).

use serde::{Deserialize, Serialize};

pub mod host;
#[cfg(test)]
mod tests;
pub mod viewer;

use crate::identity::DevicePublicKey;
use crate::pake::KsfParams;
use crate::permission::PermissionSet;
use crate::signal::{DeviceId, Signature};

/// Handshake protocol version.
pub const VERSION: u32 = 1;
/// Largest control message accepted, in bytes.
pub const MAX_CONTROL_MESSAGE: usize = 8 * 1024;
/// Seconds the person at the host has to answer an accept window.
pub const ASK_TIMEOUT_S: u64 = 60;

/// Which side signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The side that asked for the session.
    Viewer,
    /// The side being reached.
    Host,
}

/// The connection's transcript: both DTLS certificate fingerprints, viewer's first.
pub fn transcript(viewer_dtls_fingerprint: &str, host_dtls_fingerprint: &str) -> Vec<u8> {
    let mut t = b"latchkey session v1\0".to_vec();
    t.extend_from_slice(
        viewer_dtls_fingerprint
            .trim()
            .to_ascii_lowercase()
            .as_bytes(),
    );
    t.push(0);
    t.extend_from_slice(host_dtls_fingerprint.trim().to_ascii_lowercase().as_bytes());
    t
}

/// What a side signs in its hello: its role, then the transcript (so a hello
/// cannot be reflected back as the other side's).
pub fn hello_message(role: Role, transcript: &[u8]) -> Vec<u8> {
    let mut m = match role {
        Role::Viewer => b"latchkey hello viewer\0".to_vec(),
        Role::Host => b"latchkey hello host\0".to_vec(),
    };
    m.extend_from_slice(transcript);
    m
}

/// Bytes as base64 in JSON.
mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};
    const E: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&E.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        E.decode(s).map_err(serde::de::Error::custom)
    }
}

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ViewerMessage {
    /// Who the viewer is, proven over this connection.
    Hello {
        /// Protocol version.
        version: u32,
        /// The viewer's device key.
        device_key: DevicePublicKey,
        /// A name for the accept window (host name or user@host).
        name: String,
        /// Signature over `hello_message(Viewer, transcript)`.
        signature: Signature,
    },
    /// Log in with a saved-login token.
    Token {
        /// The token (text form).
        token: String,
    },
    /// Log back in after a restart this viewer asked for, with the
    /// single-use credential the host issued for it (`crate::reconnect`).
    Reconnect {
        /// The credential (text form).
        credential: String,
    },
    /// Start an OPAQUE login for `profile` (default profile when absent).
    Password {
        /// Profile asked for.
        profile: Option<String>,
        /// OPAQUE credential request.
        #[serde(with = "b64")]
        request: Vec<u8>,
        /// Whether the viewer wants a saved-login token.
        remember: bool,
    },
    /// Finish the OPAQUE login.
    PasswordFinish {
        /// OPAQUE credential finalization.
        #[serde(with = "b64")]
        finalization: Vec<u8>,
    },
    /// No credential: ask the person at the host.
    Ask {
        /// Profile asked for (the person may pick another or lower it).
        profile: Option<String>,
    },
    /// A TOTP or recovery code.
    SecondFactor {
        /// The code.
        code: String,
    },
    /// The viewer gives up (e.g. OPAQUE failed on its side: a wrong password).
    Abort {
        /// Why, for the host's log.
        reason: String,
    },
}

/// How a session was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A saved-login token.
    Token,
    /// The profile's password.
    Password,
    /// The person at the host accepted.
    Accepted,
    /// Back after a restart, with the reconnect credential.
    Reconnect,
}

impl Method {
    /// The shared name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Token => "token",
            Method::Password => "password",
            Method::Accepted => "accepted",
            Method::Reconnect => "reconnect",
        }
    }
}

/// Why a session was refused; the names are shared with `connect --probe --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialCode {
    /// Password or token wrong (or unattended access off, or profile disabled: not distinguished).
    WrongCredentials,
    /// 2FA applies and no code was given.
    SecondFactorRequired,
    /// The code was wrong or already used.
    SecondFactorInvalid,
    /// The person at the host said no, did not answer, or no one may be asked.
    Denied,
    /// Too many failures: wait `retry_after_s`.
    Throttled,
    /// The other side broke the protocol.
    Protocol,
}

impl DenialCode {
    /// The shared name.
    pub fn name(self) -> &'static str {
        match self {
            DenialCode::WrongCredentials => "wrong_credentials",
            DenialCode::SecondFactorRequired => "second_factor_required",
            DenialCode::SecondFactorInvalid => "second_factor_invalid",
            DenialCode::Denied => "denied",
            DenialCode::Throttled => "throttled",
            DenialCode::Protocol => "protocol",
        }
    }
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HostMessage {
    /// Who the host is, proven over this connection.
    Hello {
        /// Protocol version.
        version: u32,
        /// The host's device key.
        device_key: DevicePublicKey,
        /// The host's ID, when it has one.
        host_id: Option<DeviceId>,
        /// Signature over `hello_message(Host, transcript)`.
        signature: Signature,
    },
    /// OPAQUE credential response and the stretching to apply.
    PasswordChallenge {
        /// OPAQUE credential response.
        #[serde(with = "b64")]
        response: Vec<u8>,
        /// Argon2id parameters.
        ksf: KsfParams,
    },
    /// A TOTP code is needed.
    SecondFactorRequired,
    /// The person at the host is being asked.
    Waiting {
        /// Seconds before the request is denied.
        timeout_s: u64,
    },
    /// The session is open.
    Granted {
        /// How.
        method: Method,
        /// Granted profile.
        profile: String,
        /// Granted permissions (possibly lowered by the person accepting).
        permissions: PermissionSet,
        /// A new saved-login token, when asked for and allowed.
        token: Option<String>,
    },
    /// The session is refused.
    Denied {
        /// Why.
        error: DenialCode,
        /// For `throttled`: seconds to wait.
        retry_after_s: Option<u64>,
        /// For people.
        message: String,
    },
}

/// Parse a control message, checking its size first.
pub fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, DenialCode> {
    if bytes.len() > MAX_CONTROL_MESSAGE {
        return Err(DenialCode::Protocol);
    }
    serde_json::from_slice(bytes).map_err(|_| DenialCode::Protocol)
}

impl ViewerMessage {
    /// The message's wire name (its `type`), for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ViewerMessage::Hello { .. } => "hello",
            ViewerMessage::Token { .. } => "token",
            ViewerMessage::Reconnect { .. } => "reconnect",
            ViewerMessage::Password { .. } => "password",
            ViewerMessage::PasswordFinish { .. } => "password_finish",
            ViewerMessage::Ask { .. } => "ask",
            ViewerMessage::SecondFactor { .. } => "second_factor",
            ViewerMessage::Abort { .. } => "abort",
        }
    }
}

impl HostMessage {
    /// The message's wire name (its `type`), for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            HostMessage::Hello { .. } => "hello",
            HostMessage::PasswordChallenge { .. } => "password_challenge",
            HostMessage::SecondFactorRequired => "second_factor_required",
            HostMessage::Waiting { .. } => "waiting",
            HostMessage::Granted { .. } => "granted",
            HostMessage::Denied { .. } => "denied",
        }
    }
}

/// Why a handshake broke off (rather than ending in a grant or a refusal the
/// other side was told about).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// A message that does not belong in the current state ([`require_msg!`]).
    #[error("expected {expected}")]
    UnexpectedMessage {
        /// What the state awaits, in words (`a login method`).
        expected: &'static str,
        /// The wire name of what came instead.
        got: &'static str,
    },
    /// The other side broke the protocol otherwise (bad signature, bad OPAQUE message...).
    #[error("{0}")]
    Protocol(String),
    /// A step's deadline passed.
    #[error("timed out {0}")]
    Timeout(&'static str),
    /// The channel closed.
    #[error("the other side went away")]
    PeerLeft,
    /// Reading the settings or a secret failed (the driver knows the details).
    #[error("the configuration could not be read: {0}")]
    Store(String),
}

/// Take the message a state awaits or refuse it, the same way everywhere:
/// `require_msg!(msg, "a second factor", ViewerMessage::SecondFactor { code } => code)`
/// evaluates to the arm's value, or returns
/// `Err(HandshakeError::UnexpectedMessage { expected, got })` from the
/// enclosing function. Several patterns may be given, one arm each.
#[macro_export]
macro_rules! require_msg {
    ($msg:expr, $expected:expr, $($pattern:pat => $value:expr),+ $(,)?) => {
        match $msg {
            $($pattern => $value,)+
            #[allow(unreachable_patterns)]
            other => {
                return Err($crate::handshake::HandshakeError::UnexpectedMessage {
                    expected: $expected,
                    got: other.kind(),
                })
            }
        }
    };
}
