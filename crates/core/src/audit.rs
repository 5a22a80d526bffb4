//! Security events for the audit log. Each names what happened and to what,
//! never a secret: no password, token, TOTP secret or code.

use serde::{Deserialize, Serialize};

/// One security event. Serialized with an `event` tag, e.g.
/// `{"event":"password_set","profile":"default"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditEvent {
    /// A profile's password was set (its tokens died).
    PasswordSet {
        /// Profile.
        profile: String,
        /// Tokens invalidated by the new epoch.
        tokens_revoked: usize,
    },
    /// A profile's password was removed.
    PasswordCleared {
        /// Profile.
        profile: String,
        /// Tokens invalidated.
        tokens_revoked: usize,
    },
    /// `password verify` ran.
    PasswordVerified {
        /// Profile.
        profile: String,
        /// Whether it matched.
        matched: bool,
    },
    /// Unattended access turned on or off.
    UnattendedChanged {
        /// Profile.
        profile: String,
        /// New state.
        on: bool,
        /// Tokens ended (turning it off ends the profile's tokens).
        #[serde(default)]
        tokens_revoked: usize,
    },
    /// A viewer was put on the access control list (or its profiles changed).
    AclEntryAdded {
        /// The viewer's key fingerprint.
        fingerprint: String,
        /// The profiles it may ask for (empty: any).
        profiles: Vec<String>,
    },
    /// A viewer was taken off the access control list.
    AclEntryRemoved {
        /// The viewer's key fingerprint.
        fingerprint: String,
    },
    /// The access control list was turned on or off.
    AclChanged {
        /// New state.
        on: bool,
    },
    /// "Allow other computers to save login information" changed.
    SaveLoginChanged {
        /// New state.
        on: bool,
    },
    /// Interactive mode changed.
    InteractiveChanged {
        /// New mode.
        mode: String,
    },
    /// All tokens cleared.
    TokensCleared {
        /// How many there were.
        count: usize,
    },
    /// One token revoked.
    TokenRevoked {
        /// Its id.
        id: String,
        /// Its profile.
        profile: String,
    },
    /// A token was issued.
    TokenIssued {
        /// Its id.
        id: String,
        /// Its profile.
        profile: String,
        /// Fingerprint of the device it is bound to.
        device: String,
    },
    /// 2FA enrolment started (secret pending confirmation).
    TwoFactorEnrollStarted,
    /// 2FA turned on.
    TwoFactorEnabled,
    /// A wrong code was given to `2fa confirm`.
    TwoFactorConfirmFailed,
    /// 2FA turned off.
    TwoFactorDisabled,
    /// One of the two 2FA exemptions changed.
    TwoFactorScopeChanged {
        /// `tokens` or `reconnect`.
        scope: String,
        /// Whether 2FA now applies to it.
        applies: bool,
    },
    /// A profile was created.
    ProfileCreated {
        /// New profile.
        profile: String,
        /// Copied from.
        from: Option<String>,
    },
    /// A profile was renamed.
    ProfileRenamed {
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// A profile was deleted.
    ProfileDeleted {
        /// Profile.
        profile: String,
        /// Tokens that died with it.
        tokens_revoked: usize,
    },
    /// A profile was enabled or disabled.
    ProfileEnabledChanged {
        /// Profile.
        profile: String,
        /// New state.
        enabled: bool,
    },
    /// A permission of a profile changed.
    PermissionChanged {
        /// Profile.
        profile: String,
        /// Permission name.
        permission: String,
        /// New state.
        on: bool,
    },
    /// The default profile changed.
    DefaultProfileChanged {
        /// New default.
        profile: String,
    },
    /// A session request was decided.
    AccessDecision {
        /// Fingerprint of the viewer's device key.
        viewer: String,
        /// The viewer's name as it gave it.
        viewer_name: String,
        /// Source address as the rendezvous saw it.
        addr: Option<String>,
        /// `token`, `password`, `ask`.
        method: String,
        /// Profile asked for or granted.
        profile: Option<String>,
        /// `granted` or `refused`.
        outcome: String,
        /// Why (a denial code, or a finer reason for the host owner).
        reason: Option<String>,
    },
    /// An open session ended.
    SessionEnded {
        /// Fingerprint of the viewer's device key.
        viewer: String,
        /// How long it lasted.
        seconds: u64,
        /// Video frames sent.
        frames_sent: u64,
        /// Messages dropped because the permissions did not allow them.
        dropped_messages: u64,
        /// Why the host ended it, when it did (what it logged in with was revoked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A session message the granted permissions do not allow was dropped
    /// (recorded once per kind and session; `session_ended` has the count).
    MessageDropped {
        /// Fingerprint of the viewer's device key.
        viewer: String,
        /// Message kind.
        kind: String,
        /// The permission it needed.
        permission: String,
    },
    /// A viewer restarted the host (a reconnect credential was issued to it).
    RestartRequested {
        /// Fingerprint of the viewer's device key.
        viewer: String,
        /// The session's profile.
        profile: String,
    },
    /// A profile's `tunnel_destinations` changed.
    TunnelDestinationsChanged {
        /// Profile.
        profile: String,
        /// `any`, `none`, or the comma-separated patterns.
        destinations: String,
    },
    /// A tunnel to a destination outside the session's profile's
    /// `tunnel_destinations` was refused.
    TunnelRefused {
        /// Fingerprint of the viewer's device key.
        viewer: String,
        /// The destination, `host:port`.
        destination: String,
    },
}

impl AuditEvent {
    /// The event's tag, e.g. `password_set`.
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_a_tag() {
        let e = AuditEvent::PasswordSet {
            profile: "default".into(),
            tokens_revoked: 2,
        };
        let json = serde_json::to_string(&e).expect("json");
        assert_eq!(
            json,
            r#"{"event":"password_set","profile":"default","tokens_revoked":2}"#
        );
        assert_eq!(e.name(), "password_set");
        assert_eq!(serde_json::from_str::<AuditEvent>(&json).expect("parse"), e);
    }
}
