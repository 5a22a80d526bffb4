//! The rendezvous wire protocol: JSON text frames over a WebSocket between the
//! rendezvous server and its clients (hosts and viewers). Pure data: the server
//! lives in `crates/rendezvous`, the clients in `crates/session`.
//!
//! # Flows
//!
//! Host registration (the server binds each ID to one device key for good):
//!
//! ```text
//! host -> Hello { public_key }         server -> Challenge { nonce }
//! host -> Register { signature }       server -> Registered { id }
//! ```
//!
//! The signature is the host's Ed25519 signature over [`register_message`]
//! (a fixed context string followed by the nonce).
//!
//! A session (the server only relays; it never sees a password, token or code):
//!
//! ```text
//! viewer -> Offer { to, session, sdp }      server -> host:   Incoming { session, from_addr, sdp }
//! host   -> Answer { session, sdp }         server -> viewer: Answer { session, sdp }
//! either -> Candidate { session, candidate } relayed to the other side
//! either -> Bye { session, reason }          relayed to the other side; the session is forgotten
//! ```
//!
//! Errors come back as [`ServerMessage::Error`] with an [`ErrorCode`]; the
//! connection stays open unless the code says otherwise.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::identity::{DeviceKey, DevicePublicKey};

/// Largest frame either side accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Protocol version spoken by this build (sent as the WebSocket subprotocol `latchkey.v1`).
pub const PROTOCOL: &str = "latchkey.v1";
/// Domain separation for the registration signature.
pub const REGISTER_CONTEXT: &[u8] = b"latchkey rendezvous register v1\0";

/// What a host signs to register: [`REGISTER_CONTEXT`] followed by the server's nonce.
pub fn register_message(nonce: &[u8]) -> Vec<u8> {
    let mut m = REGISTER_CONTEXT.to_vec();
    m.extend_from_slice(nonce);
    m
}

/// A host's answer to the server's `Challenge { nonce }` (hex): its signature
/// over [`register_message`]; `None` when the nonce is not hex.
pub fn sign_challenge(key: &DeviceKey, nonce_hex: &str) -> Option<Signature> {
    let nonce = hex::decode(nonce_hex).ok()?;
    Some(Signature(key.sign(&register_message(&nonce))))
}

/// An Ed25519 signature, hex on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}..)", hex::encode(&self.0[..4]))
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 64];
        hex::decode_to_slice(s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(Signature(out))
    }
}

/// A device ID: 9 decimal digits, first digit not 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

impl DeviceId {
    /// Parse an ID typed by a person: digits with optional spaces or dashes.
    pub fn parse(text: &str) -> Option<DeviceId> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() == 9
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
        {
            Some(DeviceId(digits))
        } else {
            None
        }
    }

    /// From a number in 100_000_000..=999_999_999.
    pub fn from_number(n: u32) -> Option<DeviceId> {
        (100_000_000..=999_999_999)
            .contains(&n)
            .then(|| DeviceId(n.to_string()))
    }

    /// The 9 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped for people: `123 456 789`.
    pub fn grouped(&self) -> String {
        format!("{} {} {}", &self.0[0..3], &self.0[3..6], &self.0[6..9])
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DeviceId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        DeviceId::parse(&s).ok_or_else(|| format!("'{s}' is not a 9-digit Latchkey ID"))
    }
}

impl From<DeviceId> for String {
    fn from(id: DeviceId) -> String {
        id.0
    }
}

/// From a client (host or viewer) to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Host: begin registration with this device key.
    Hello {
        /// The host's device key.
        public_key: DevicePublicKey,
    },
    /// Host: the signature over [`register_message`]`(nonce)`.
    Register {
        /// Ed25519 signature.
        signature: Signature,
    },
    /// Is this ID online?
    Lookup {
        /// The ID asked about.
        id: DeviceId,
    },
    /// Viewer: open `session` with host `to`.
    Offer {
        /// The host's ID.
        to: DeviceId,
        /// A random session identifier chosen by the viewer (16 to 64 of `0-9a-f`).
        session: String,
        /// SDP offer.
        sdp: String,
    },
    /// Host: the answer for `session`.
    Answer {
        /// Session.
        session: String,
        /// SDP answer.
        sdp: String,
    },
    /// Either side: one ICE candidate (JSON of an `RTCIceCandidateInit`).
    Candidate {
        /// Session.
        session: String,
        /// The candidate.
        candidate: String,
    },
    /// Either side: the session is over or refused.
    Bye {
        /// Session.
        session: String,
        /// Why, for logs.
        reason: Option<String>,
    },
    /// Short-lived TURN credentials, if the server has a TURN secret.
    TurnRequest,
    /// Keepalive.
    Ping,
}

/// From the server to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServerMessage {
    /// Sign this nonce to register (hex, 32 bytes).
    Challenge {
        /// Fresh random nonce.
        nonce: String,
    },
    /// Registration done: this key's ID.
    Registered {
        /// The ID, the same for this key forever.
        id: DeviceId,
    },
    /// Answer to [`ClientMessage::Lookup`].
    Presence {
        /// The ID asked about.
        id: DeviceId,
        /// Whether a host with this ID is connected.
        online: bool,
    },
    /// To a host: a viewer wants a session.
    Incoming {
        /// Session.
        session: String,
        /// The viewer's address as the server saw it (for throttling).
        from_addr: Option<String>,
        /// SDP offer.
        sdp: String,
    },
    /// To a viewer: the host's answer.
    Answer {
        /// Session.
        session: String,
        /// SDP answer.
        sdp: String,
    },
    /// The other side's ICE candidate.
    Candidate {
        /// Session.
        session: String,
        /// The candidate.
        candidate: String,
    },
    /// The other side ended or refused the session.
    Bye {
        /// Session.
        session: String,
        /// Why.
        reason: Option<String>,
    },
    /// TURN credentials (coturn `use-auth-secret`).
    Turn {
        /// TURN URLs.
        urls: Vec<String>,
        /// `expiry:label`.
        username: String,
        /// base64(HMAC-SHA1(secret, username)).
        credential: String,
        /// Seconds they stay valid.
        ttl_s: u64,
    },
    /// Keepalive answer.
    Pong,
    /// Something was refused.
    Error {
        /// Machine-readable reason.
        code: ErrorCode,
        /// For people.
        message: String,
        /// The session it concerns, if any.
        session: Option<String>,
    },
}

/// Why the server refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No host ever registered this ID.
    UnknownId,
    /// The ID exists but its host is not connected.
    HostOffline,
    /// The frame is not a valid message.
    Malformed,
    /// The frame is larger than [`MAX_MESSAGE_BYTES`].
    TooLarge,
    /// Too many messages per second on this connection.
    RateLimited,
    /// The host has too many sessions pending.
    TooManyPending,
    /// A host-only message before registration, or registration out of order.
    NotRegistered,
    /// The registration signature does not verify.
    BadSignature,
    /// The session is not known (ended, or not yours).
    UnknownSession,
    /// TURN is not configured on this server.
    NoTurn,
    /// Another connection registered the same key; this one is closed.
    Replaced,
    /// The server is shutting down or at capacity.
    Unavailable,
}

impl ErrorCode {
    /// The snake_case name (also the metrics label).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::UnknownId => "unknown_id",
            ErrorCode::HostOffline => "host_offline",
            ErrorCode::Malformed => "malformed",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooManyPending => "too_many_pending",
            ErrorCode::NotRegistered => "not_registered",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::UnknownSession => "unknown_session",
            ErrorCode::NoTurn => "no_turn",
            ErrorCode::Replaced => "replaced",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

/// Whether `s` is an acceptable session identifier.
pub fn valid_session_id(s: &str) -> bool {
    (16..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parse a client frame (size checked first).
pub fn parse_client(text: &str) -> Result<ClientMessage, ErrorCode> {
    parse_frame(text)
}

/// Parse a server frame (size checked first).
pub fn parse_server(text: &str) -> Result<ServerMessage, ErrorCode> {
    parse_frame(text)
}

fn parse_frame<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, ErrorCode> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ErrorCode::TooLarge);
    }
    serde_json::from_str(text).map_err(|_| ErrorCode::Malformed)
}

/// Encode any message as one JSON text frame.
pub fn encode<T: Serialize>(message: &T) -> String {
    // Plain data with string keys: serialization cannot fail.
    serde_json::to_string(message).unwrap_or_else(|_| String::from("{}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_challenge_verifies_and_a_bad_nonce_is_refused() {
        use rand::{rngs::StdRng, SeedableRng};
        let key = DeviceKey::generate(&mut StdRng::seed_from_u64(3));
        let nonce = [7u8; 32];
        let signature = sign_challenge(&key, &hex::encode(nonce)).expect("hex nonce");
        key.public()
            .verify(&register_message(&nonce), &signature.0)
            .expect("verifies");
        assert!(sign_challenge(&key, "not hex").is_none());
        assert!(key
            .public()
            .verify(&register_message(&[8u8; 32]), &signature.0)
            .is_err());
    }

    #[test]
    fn ids() {
        let id = DeviceId::parse("123 456-789").expect("valid");
        assert_eq!(id.as_str(), "123456789");
        assert_eq!(id.grouped(), "123 456 789");
        for bad in ["", "12345678", "1234567890", "012345678", "12345678a"] {
            assert!(DeviceId::parse(bad).is_none(), "{bad}");
        }
        assert!(DeviceId::from_number(99_999_999).is_none());
        assert!(serde_json::from_str::<DeviceId>("\"000000001\"").is_err());
    }

    #[test]
    fn messages_round_trip_and_reject_garbage() {
        let m = ClientMessage::Offer {
            to: DeviceId::parse("123456789").expect("id"),
            session: "ab".repeat(8),
            sdp: "v=0".into(),
        };
        let text = encode(&m);
        assert!(text.contains(r#""type":"offer""#));
        assert_eq!(parse_client(&text), Ok(m));
        assert_eq!(parse_client("{"), Err(ErrorCode::Malformed));
        assert_eq!(
            parse_client(r#"{"type":"offer"}"#),
            Err(ErrorCode::Malformed)
        );
        assert_eq!(
            parse_client(&"x".repeat(MAX_MESSAGE_BYTES + 1)),
            Err(ErrorCode::TooLarge)
        );
        let e = ServerMessage::Error {
            code: ErrorCode::HostOffline,
            message: "offline".into(),
            session: None,
        };
        assert_eq!(parse_server(&encode(&e)), Ok(e));
        assert!(
            valid_session_id(&"0f".repeat(8))
                && !valid_session_id("XYZ")
                && !valid_session_id("ab")
        );
    }
}
