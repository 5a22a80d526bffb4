//! Reading a host's state: the whole status, the audit log, and times as
//! the audit log writes them.

use serde::{Deserialize, Serialize};

use latchkey_core::audit::AuditEvent;
use latchkey_core::settings::{InteractiveMode, ProfileSummary};

use super::two_factor::{two_factor_status_of, TwoFactorStatus};
use super::Operation;
use crate::audit_log::AuditRecord;
use crate::secrets::SecretName;
use crate::{Config, Error};

/// `status --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Status {
    /// This device's key fingerprint.
    pub fingerprint: String,
    /// This device's ID (9 digits), once a rendezvous server gave it one.
    pub device_id: Option<String>,
    /// Interactive mode.
    pub interactive: InteractiveMode,
    /// Whether viewers may save login information.
    pub save_login: bool,
    /// 2FA state.
    pub two_factor: TwoFactorStatus,
    /// Default profile name.
    pub default_profile: String,
    /// Number of live tokens.
    pub tokens: usize,
    /// Every profile.
    pub profiles: Vec<ProfileSummary>,
    /// Where the secrets are kept (`keyring` or `file`).
    pub secret_store: String,
    /// The configuration directory.
    pub config_dir: String,
}

/// A time as RFC 3339 (UTC), as the audit log writes it.
pub fn rfc3339(t: latchkey_core::UnixTime) -> String {
    AuditRecord::new(AuditEvent::TwoFactorEnabled, t).time
}

/// The whole status.
pub fn status(config: &mut Config) -> Result<Status, Error> {
    let fingerprint = config.device_key()?.public().fingerprint();
    let pending = config.secrets().get(&SecretName::TotpPending)?.is_some();
    let s = config.settings();
    Ok(Status {
        fingerprint,
        device_id: s.device_id.as_ref().map(|i| i.as_str().to_string()),
        interactive: s.interactive,
        save_login: s.save_login,
        two_factor: two_factor_status_of(config, pending),
        default_profile: s.default_profile.clone(),
        tokens: s.tokens.len(),
        profiles: s.summaries(),
        secret_store: s.secret_store.name().to_string(),
        config_dir: config.dir().display().to_string(),
    })
}

/// The last `tail` audit records (all when `None`), oldest first.
pub fn audit(config: &Config, tail: Option<usize>) -> Result<Vec<AuditRecord>, Error> {
    let mut all = config.audit_log().read_all()?;
    if let Some(n) = tail {
        let skip = all.len().saturating_sub(n);
        all.drain(..skip);
    }
    Ok(all)
}

/// Read the status ([`status`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetStatus {}

impl Operation for GetStatus {
    type Output = Status;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<Status, Error> {
        status(config)
    }
}

/// Read the audit log ([`audit`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadAudit {
    /// How many of the last records (all when `None`).
    #[serde(default)]
    pub tail: Option<usize>,
}

impl Operation for ReadAudit {
    type Output = Vec<AuditRecord>;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<Vec<AuditRecord>, Error> {
        audit(config, self.tail)
    }
}
