//! Short-lived TURN credentials in coturn's `use-auth-secret` scheme (the
//! "TURN REST API"): the username is `<expiry unix time>:<label>` and the
//! password is `base64(HMAC-SHA1(shared secret, username))`. coturn, given the
//! same `static-auth-secret`, recomputes it and refuses it after the expiry.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use latchkey_core::signal::ServerMessage;
use sha1::Sha1;

/// The TURN relay this server hands out credentials for.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnConfig {
    /// coturn's `static-auth-secret`. Never logged.
    pub secret: String,
    /// TURN URLs given to clients, e.g. `turn:turn.example.org:3478?transport=udp`.
    pub urls: Vec<String>,
    /// How long each credential stays valid, in seconds.
    pub ttl_s: u64,
}

impl fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnConfig")
            .field("secret", &"REDACTED")
            .field("urls", &self.urls)
            .field("ttl_s", &self.ttl_s)
            .finish()
    }
}

/// The credential for `username` under `secret`.
pub(crate) fn credential(secret: &str, username: &str) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A [`ServerMessage::Turn`] valid from `now_unix` for `config.ttl_s` seconds.
/// `label` ends up in coturn's logs (the host's ID, or `viewer`).
pub(crate) fn credentials(config: &TurnConfig, label: &str, now_unix: u64) -> ServerMessage {
    let username = format!("{}:{label}", now_unix.saturating_add(config.ttl_s));
    ServerMessage::Turn {
        urls: config.urls.clone(),
        credential: credential(&config.secret, &username),
        username,
        ttl_s: config.ttl_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_hmac_sha1() {
        // RFC 2202 test case 2: key "Jefe", "what do ya want for nothing?".
        assert_eq!(
            credential("Jefe", "what do ya want for nothing?"),
            base64::engine::general_purpose::STANDARD
                .encode(hex::decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79").expect("hex"))
        );
    }

    #[test]
    fn username_carries_the_expiry() {
        let config = TurnConfig {
            secret: "s3cret".into(),
            urls: vec!["turn:127.0.0.1:3478".into()],
            ttl_s: 600,
        };
        let ServerMessage::Turn {
            urls,
            username,
            credential: cred,
            ttl_s,
        } = credentials(&config, "viewer", 1_000)
        else {
            panic!("not a Turn message");
        };
        assert_eq!(username, "1600:viewer");
        assert_eq!(cred, credential("s3cret", "1600:viewer"));
        assert_eq!((urls, ttl_s), (config.urls.clone(), 600));
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
