//! The session handshake on the `control` data channel (DESIGN §5): its
//! messages and the transcript both sides sign. Runs before any media is sent.
//!
//! ```text
//! viewer -> Hello { device_key, signature over (viewer role, transcript) }
//! host   -> Hello { device_key, host_id, signature over (host role, transcript) }
//! viewer -> Token { token }                    | Password { profile, request, remember } | Ask { profile }
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

use serde::{Deserialize, Serialize};

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
}

impl Method {
    /// The shared name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Token => "token",
            Method::Password => "password",
            Method::Accepted => "accepted",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DeviceKey;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn hello_binds_role_and_fingerprints() {
        let key = DeviceKey::generate(&mut StdRng::seed_from_u64(1));
        let t = transcript("AA:BB", "CC:DD");
        let sig = key.sign(&hello_message(Role::Viewer, &t));
        key.public()
            .verify(&hello_message(Role::Viewer, &t), &sig)
            .expect("valid");
        assert!(
            key.public()
                .verify(&hello_message(Role::Host, &t), &sig)
                .is_err(),
            "no reflection"
        );
        let other = transcript("AA:BB", "CC:DE");
        assert!(
            key.public()
                .verify(&hello_message(Role::Viewer, &other), &sig)
                .is_err(),
            "other connection"
        );
        assert_eq!(transcript("aa:bb ", "cc:dd"), t);
    }

    #[test]
    fn messages_round_trip_and_garbage_is_protocol() {
        let m = ViewerMessage::Password {
            profile: None,
            request: vec![1, 2, 3],
            remember: true,
        };
        let text = serde_json::to_vec(&m).expect("json");
        assert_eq!(parse::<ViewerMessage>(&text), Ok(m));
        assert_eq!(parse::<ViewerMessage>(b"{nope"), Err(DenialCode::Protocol));
        assert_eq!(
            parse::<ViewerMessage>(&vec![b' '; MAX_CONTROL_MESSAGE + 1]),
            Err(DenialCode::Protocol)
        );
        let g = HostMessage::Granted {
            method: Method::Token,
            profile: "default".into(),
            permissions: PermissionSet::NONE,
            token: None,
        };
        assert_eq!(
            parse::<HostMessage>(&serde_json::to_vec(&g).expect("json")),
            Ok(g)
        );
    }
}
