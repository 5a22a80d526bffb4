//! Saved-login tokens: list, issue (after a password login), revoke.

use rand_core::OsRng;
use serde::{Deserialize, Serialize};

use latchkey_core::audit::AuditEvent;
use latchkey_core::identity::DevicePublicKey;
use latchkey_core::token::{Token, TokenRecord};

use super::status::rfc3339;
use super::Operation;
use crate::config::now;
use crate::{Config, Error};

/// One row of `tokens list --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TokenSummary {
    /// Handle for `tokens revoke`.
    pub id: String,
    /// Label given at issue.
    pub label: String,
    /// Profile it logs into.
    pub profile: String,
    /// When it was issued (RFC 3339).
    pub created: String,
    /// When it last logged in (RFC 3339), if ever.
    pub last_used: Option<String>,
    /// Fingerprint of the device it is bound to.
    pub device: String,
}

/// The live tokens.
pub fn list_tokens(config: &Config) -> Vec<TokenSummary> {
    config.settings().tokens.iter().map(token_summary).collect()
}

fn token_summary(r: &TokenRecord) -> TokenSummary {
    TokenSummary {
        id: r.id.clone(),
        label: r.label.clone(),
        profile: r.profile.clone(),
        created: rfc3339(r.created),
        last_used: r.last_used.map(rfc3339),
        device: r.device_key.fingerprint(),
    }
}

/// Revoke one token.
pub fn revoke_token(config: &mut Config, id: &str) -> Result<(), Error> {
    config.update(|s, _| {
        let r = s.tokens.revoke(id)?;
        Ok((
            (),
            vec![AuditEvent::TokenRevoked {
                id: r.id,
                profile: r.profile,
            }],
        ))
    })
}

/// Revoke all tokens (and reconnect credentials); returns how many tokens there were.
pub fn clear_tokens(config: &mut Config) -> Result<usize, Error> {
    config.update(|s, _| {
        let n = s.tokens.clear();
        // Reconnect credentials are saved logins too.
        s.reconnects.clear();
        Ok((n, vec![AuditEvent::TokensCleared { count: n }]))
    })
}

/// Issue a saved-login token (the host does this after a password login when
/// the viewer asked to remember and the host allows it).
pub fn issue_token(
    config: &mut Config,
    device_key: DevicePublicKey,
    profile: &str,
    epoch: u64,
    label: &str,
) -> Result<(Token, TokenSummary), Error> {
    config.update(|s, _| {
        let (token, record) =
            s.issue_token(device_key, profile, epoch, label, now(), &mut OsRng)?;
        let event = AuditEvent::TokenIssued {
            id: record.id.clone(),
            profile: record.profile.clone(),
            device: record.device_key.fingerprint(),
        };
        Ok(((token, token_summary(&record)), vec![event]))
    })
}

/// Issue a reconnect credential for a session about to restart the host
/// (the `restart` feature), recording the restart; the credential is in the
/// settings on disk (fsynced) before this returns, so it survives the reboot.
#[allow(clippy::too_many_arguments)]
pub fn issue_reconnect(
    config: &mut Config,
    device_key: DevicePublicKey,
    profile: &str,
    permissions: latchkey_core::permission::PermissionSet,
    epoch: u64,
    attended: bool,
) -> Result<Token, Error> {
    config.update(|s, _| {
        let (credential, _) = s.reconnects.issue(
            device_key,
            profile,
            permissions,
            epoch,
            attended,
            now(),
            &mut OsRng,
        );
        let event = AuditEvent::RestartRequested {
            viewer: device_key.fingerprint(),
            profile: profile.to_string(),
        };
        Ok((credential, vec![event]))
    })
}

/// Read the saved logins ([`list_tokens`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListTokens {}

impl Operation for ListTokens {
    type Output = Vec<TokenSummary>;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<Vec<TokenSummary>, Error> {
        Ok(list_tokens(config))
    }
}

/// Revoke one saved login ([`revoke_token`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeToken {
    /// Its id.
    pub id: String,
}

impl Operation for RevokeToken {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        revoke_token(config, &self.id)
    }
}

/// Revoke every saved login ([`clear_tokens`]); returns how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearTokens {}

impl Operation for ClearTokens {
    type Output = usize;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<usize, Error> {
        clear_tokens(config)
    }
}

/// Issue a saved-login token ([`issue_token`]); the host's own step after a
/// login, never sent over the control socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueToken {
    /// The viewer device it is bound to.
    pub device_key: DevicePublicKey,
    /// The profile it logs into.
    pub profile: String,
    /// The profile's password epoch it was issued under.
    pub epoch: u64,
    /// A label for people.
    pub label: String,
}

impl Operation for IssueToken {
    type Output = (Token, TokenSummary);
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(Token, TokenSummary), Error> {
        issue_token(
            config,
            self.device_key,
            &self.profile,
            self.epoch,
            &self.label,
        )
    }
}
