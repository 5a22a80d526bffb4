//! The administrative operations on a host's configuration, shared by the
//! `latchkey` CLI and the desktop app so both follow the same rules: each
//! checks its input with the core, changes the settings through
//! [`Config::update`] and records what it did in the audit log.

use rand_core::OsRng;
use serde::Serialize;
use zeroize::Zeroizing;

use latchkey_core::acl::{AccessList, AclEntry};
use latchkey_core::audit::AuditEvent;
use latchkey_core::identity::DevicePublicKey;
use latchkey_core::pake::{self, KsfParams};
use latchkey_core::password_policy::{self, Strength};
use latchkey_core::permission::Permission;
use latchkey_core::settings::{InteractiveMode, ProfileSummary};
use latchkey_core::token::{Token, TokenRecord};
use latchkey_core::totp::{self, TotpSecret};
use latchkey_core::{Error as CoreError, Invalid};

use crate::audit_log::AuditRecord;
use crate::config::now;
use crate::secrets::SecretName;
use crate::{Config, Error};

/// `status --json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
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

/// `2fa status --json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TwoFactorStatus {
    /// Whether unattended logins need a code.
    pub enabled: bool,
    /// Whether an enrolment waits for `2fa confirm`.
    pub pending: bool,
    /// Whether token logins need one too.
    pub apply_to_tokens: bool,
    /// Whether the reconnect after a remote restart needs one too.
    pub apply_to_reconnect: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: usize,
}

/// One row of `tokens list --json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
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

/// The secret outputs of `2fa enroll`, shown once.
pub struct Enrollment {
    /// `otpauth://` URI.
    pub uri: Zeroizing<String>,
    /// Base32 secret, for typing by hand.
    pub secret_base32: Zeroizing<String>,
    /// QR code of the URI, SVG.
    pub qr_svg: Zeroizing<String>,
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

fn two_factor_status_of(config: &Config, pending: bool) -> TwoFactorStatus {
    let tf = &config.settings().two_factor;
    TwoFactorStatus {
        enabled: tf.enabled,
        pending,
        apply_to_tokens: tf.apply_to_tokens,
        apply_to_reconnect: tf.apply_to_reconnect,
        recovery_codes_left: tf.recovery_codes.len(),
    }
}

/// Judge a password against the policy for `profile` (its name counts as a weak word).
pub fn password_strength(config: &Config, profile: Option<&str>, password: &str) -> Strength {
    let name = profile.unwrap_or(&config.settings().default_profile);
    password_policy::evaluate(password, &[name, "latchkey"])
}

/// Set a profile's unattended password: policy check, OPAQUE registration
/// (Argon2id), new epoch (its tokens die). Returns how many tokens died.
pub fn set_password(
    config: &mut Config,
    profile: Option<&str>,
    password: &str,
) -> Result<usize, Error> {
    let name = config.settings().profile_name(profile)?;
    let verdict = password_strength(config, Some(&name), password);
    if !verdict.acceptable {
        return Err(Invalid::WeakPassword(verdict.refusals).into());
    }
    let server = config.server_secret()?;
    let record = pake::register(&server, password.as_bytes(), KsfParams::DEFAULT, &mut OsRng)?;
    config.update(|s, _| {
        let revoked = s.set_password(&name, record)?;
        Ok((
            revoked,
            vec![AuditEvent::PasswordSet {
                profile: name.clone(),
                tokens_revoked: revoked,
            }],
        ))
    })
}

/// Check a password with a full local OPAQUE login; [`Error::WrongCredential`] when it does not match.
pub fn verify_password(
    config: &mut Config,
    profile: Option<&str>,
    password: &str,
) -> Result<(), Error> {
    let p = config.settings().profile(profile)?.clone();
    let result = match &p.password {
        None => Err(CoreError::AuthenticationFailed),
        Some(record) => {
            let server = config.server_secret()?;
            pake::verify_locally(&server, record, password.as_bytes(), &mut OsRng)
        }
    };
    config.record(AuditEvent::PasswordVerified {
        profile: p.name.clone(),
        matched: result.is_ok(),
    })?;
    match result {
        Err(CoreError::AuthenticationFailed) if p.password.is_none() => Err(
            Error::WrongCredential(format!("profile '{}' has no password", p.name)),
        ),
        Err(CoreError::AuthenticationFailed) => Err(Error::WrongCredential(format!(
            "the password does not match profile '{}'",
            p.name
        ))),
        other => Ok(other?),
    }
}

/// Remove a profile's password (unattended access turns off, tokens die).
pub fn clear_password(config: &mut Config, profile: Option<&str>) -> Result<usize, Error> {
    let name = config.settings().profile_name(profile)?;
    config.update(|s, _| {
        let revoked = s.clear_password(&name)?;
        Ok((
            revoked,
            vec![AuditEvent::PasswordCleared {
                profile: name.clone(),
                tokens_revoked: revoked,
            }],
        ))
    })
}

/// Turn unattended access on or off for a profile (off ends its tokens).
/// Returns the profile's name.
pub fn set_unattended(
    config: &mut Config,
    profile: Option<&str>,
    on: bool,
) -> Result<String, Error> {
    let name = config.settings().profile_name(profile)?;
    config.update(|s, _| {
        let revoked = s.set_unattended(&name, on)?;
        Ok((
            name.clone(),
            vec![AuditEvent::UnattendedChanged {
                profile: name.clone(),
                on,
                tokens_revoked: revoked,
            }],
        ))
    })
}

/// The access control list (`acl list --json`).
pub fn acl_list(config: &Config) -> AccessList {
    config.settings().acl.clone()
}

/// Put a viewer on the access control list, limited to `profiles` (none:
/// any); a viewer already listed gets the new limits. Returns the entry.
pub fn acl_add(
    config: &mut Config,
    fingerprint: &str,
    profiles: &[String],
) -> Result<AclEntry, Error> {
    config.update(|s, _| {
        let entry = s.acl_add(fingerprint, profiles)?;
        let event = AuditEvent::AclEntryAdded {
            fingerprint: entry.fingerprint.clone(),
            profiles: entry.profiles.clone(),
        };
        Ok((entry, vec![event]))
    })
}

/// Take a viewer off the access control list.
pub fn acl_remove(config: &mut Config, fingerprint: &str) -> Result<(), Error> {
    config.update(|s, _| {
        let entry = s.acl.remove(fingerprint)?;
        Ok((
            (),
            vec![AuditEvent::AclEntryRemoved {
                fingerprint: entry.fingerprint,
            }],
        ))
    })
}

/// Turn the access control list on (only listed viewers may ask) or off.
pub fn set_acl_enabled(config: &mut Config, on: bool) -> Result<(), Error> {
    config.update(|s, _| {
        s.acl.enabled = on;
        Ok(((), vec![AuditEvent::AclChanged { on }]))
    })
}

/// Allow or stop new saved logins (existing tokens keep working).
pub fn set_save_login(config: &mut Config, on: bool) -> Result<(), Error> {
    config.update(|s, _| {
        s.save_login = on;
        Ok(((), vec![AuditEvent::SaveLoginChanged { on }]))
    })
}

/// Set the interactive mode.
pub fn set_interactive(config: &mut Config, mode: InteractiveMode) -> Result<(), Error> {
    config.update(|s, _| {
        s.interactive = mode;
        Ok((
            (),
            vec![AuditEvent::InteractiveChanged {
                mode: mode.name().into(),
            }],
        ))
    })
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

/// Revoke all tokens; returns how many there were.
pub fn clear_tokens(config: &mut Config) -> Result<usize, Error> {
    config.update(|s, _| {
        let n = s.tokens.clear();
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

/// Start 2FA enrolment: a new pending secret, its URI and QR code.
pub fn enroll_two_factor(config: &mut Config) -> Result<Enrollment, Error> {
    if config.settings().two_factor.enabled {
        return Err(Invalid::TwoFactorAlreadyOn.into());
    }
    let account = config.device_key()?.public().fingerprint();
    let e = totp::enroll(&account, &mut OsRng)?;
    config
        .secrets()
        .set(&SecretName::TotpPending, &e.secret.to_bytes())?;
    config.record(AuditEvent::TwoFactorEnrollStarted)?;
    Ok(Enrollment {
        uri: e.uri,
        secret_base32: e.secret.base32(),
        qr_svg: e.qr_svg,
    })
}

/// Confirm enrolment with a code from the app; returns the recovery codes (shown once).
pub fn confirm_two_factor(
    config: &mut Config,
    code: &str,
) -> Result<Vec<Zeroizing<String>>, Error> {
    let pending = config
        .secrets()
        .get(&SecretName::TotpPending)?
        .ok_or(Invalid::NoPendingEnrollment)?;
    let pending = TotpSecret::from_bytes(&pending)?;
    let codes = config.update(|s, secrets| {
        if s.two_factor.enabled {
            return Err(Invalid::TwoFactorAlreadyOn.into());
        }
        let codes = s.two_factor.confirm(&pending, code, now(), &mut OsRng).map_err(|refusal| match refusal {
            totp::CodeRefusal::Malformed => Error::from(Invalid::MalformedCode),
            _ => Error::WrongCredential("the code is wrong or has expired: check the authenticator app's clock and try the current code".into()),
        })?;
        // The confirmed secret is stored before the settings that point to it.
        secrets.set(&SecretName::Totp, &pending.to_bytes())?;
        Ok((codes, vec![AuditEvent::TwoFactorEnabled]))
    });
    match codes {
        Ok(codes) => {
            config.secrets().delete(&SecretName::TotpPending)?;
            Ok(codes)
        }
        Err(e) => {
            if matches!(e, Error::WrongCredential(_)) {
                config.record(AuditEvent::TwoFactorConfirmFailed)?;
            }
            Err(e)
        }
    }
}

/// Turn 2FA off and forget its secret.
pub fn disable_two_factor(config: &mut Config) -> Result<(), Error> {
    config.update(|s, _| {
        s.two_factor.disable();
        Ok(((), vec![AuditEvent::TwoFactorDisabled]))
    })?;
    config.secrets().delete(&SecretName::Totp)?;
    config.secrets().delete(&SecretName::TotpPending)
}

/// 2FA state.
pub fn two_factor_status(config: &Config) -> Result<TwoFactorStatus, Error> {
    let pending = config.secrets().get(&SecretName::TotpPending)?.is_some();
    Ok(two_factor_status_of(config, pending))
}

/// Which exemption `set_two_factor_scope` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorScope {
    /// Token logins.
    Tokens,
    /// The reconnect after a remote restart.
    Reconnect,
}

/// Whether 2FA applies to token logins or to reconnects.
pub fn set_two_factor_scope(
    config: &mut Config,
    scope: TwoFactorScope,
    applies: bool,
) -> Result<(), Error> {
    config.update(|s, _| {
        let name = match scope {
            TwoFactorScope::Tokens => {
                s.two_factor.apply_to_tokens = applies;
                "tokens"
            }
            TwoFactorScope::Reconnect => {
                s.two_factor.apply_to_reconnect = applies;
                "reconnect"
            }
        };
        Ok((
            (),
            vec![AuditEvent::TwoFactorScopeChanged {
                scope: name.into(),
                applies,
            }],
        ))
    })
}

/// One profile's summary.
pub fn show_profile(config: &Config, name: &str) -> Result<ProfileSummary, Error> {
    let s = config.settings();
    Ok(s.summary(s.profiles.get(name)?))
}

/// Create a profile (optionally copying another's permissions).
pub fn create_profile(
    config: &mut Config,
    name: &str,
    from: Option<&str>,
) -> Result<ProfileSummary, Error> {
    config.update(|s, _| {
        s.profiles.create(name, from)?;
        let summary = s.summary(s.profiles.get(name)?);
        Ok((
            summary,
            vec![AuditEvent::ProfileCreated {
                profile: name.into(),
                from: from.map(str::to_string),
            }],
        ))
    })
}

/// Rename a user profile.
pub fn rename_profile(config: &mut Config, name: &str, new_name: &str) -> Result<(), Error> {
    config.update(|s, _| {
        s.rename_profile(name, new_name)?;
        Ok((
            (),
            vec![AuditEvent::ProfileRenamed {
                from: name.into(),
                to: new_name.into(),
            }],
        ))
    })
}

/// Delete a user profile (and its tokens).
pub fn delete_profile(config: &mut Config, name: &str) -> Result<usize, Error> {
    config.update(|s, _| {
        let n = s.delete_profile(name)?;
        Ok((
            n,
            vec![AuditEvent::ProfileDeleted {
                profile: name.into(),
                tokens_revoked: n,
            }],
        ))
    })
}

/// Enable or disable a profile.
pub fn set_profile_enabled(config: &mut Config, name: &str, enabled: bool) -> Result<(), Error> {
    config.update(|s, _| {
        s.set_enabled(name, enabled)?;
        Ok((
            (),
            vec![AuditEvent::ProfileEnabledChanged {
                profile: name.into(),
                enabled,
            }],
        ))
    })
}

/// Grant or withdraw one permission.
pub fn set_permission(
    config: &mut Config,
    name: &str,
    permission: &str,
    on: bool,
) -> Result<(), Error> {
    let perm: Permission = permission.parse()?;
    config.update(|s, _| {
        s.set_permission(name, perm, on)?;
        Ok((
            (),
            vec![AuditEvent::PermissionChanged {
                profile: name.into(),
                permission: perm.name().into(),
                on,
            }],
        ))
    })
}

/// Make a profile the default.
pub fn set_default_profile(config: &mut Config, name: &str) -> Result<(), Error> {
    config.update(|s, _| {
        s.set_default_profile(name)?;
        Ok((
            (),
            vec![AuditEvent::DefaultProfileChanged {
                profile: name.into(),
            }],
        ))
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

/// One administrative operation as data: what the desktop app asks of a
/// host it does not run (the system service, through its control socket),
/// and what that host applies to its own configuration. The same functions
/// as above, so the rules are the same wherever the change comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdminOp {
    /// Read the status.
    Status,
    /// Interactive mode.
    SetInteractive {
        /// Always, window or never.
        mode: InteractiveMode,
    },
    /// Allow saving login information.
    SetSaveLogin {
        /// On or off.
        on: bool,
    },
    /// Read the saved logins.
    ListTokens,
    /// Revoke one saved login.
    RevokeToken {
        /// Its id.
        id: String,
    },
    /// Revoke every saved login.
    ClearTokens,
    /// Start a 2FA enrolment.
    EnrollTwoFactor,
    /// Confirm it with a code.
    ConfirmTwoFactor {
        /// The code.
        code: String,
    },
    /// Turn 2FA off.
    DisableTwoFactor,
    /// An exemption.
    SetTwoFactorScope {
        /// Which.
        scope: TwoFactorScope,
        /// Whether 2FA applies there.
        on: bool,
    },
    /// A new profile.
    CreateProfile {
        /// Its name.
        name: String,
        /// A profile to copy.
        copy_from: Option<String>,
    },
    /// Rename a profile.
    RenameProfile {
        /// Now.
        name: String,
        /// Then.
        new_name: String,
    },
    /// Delete a profile.
    DeleteProfile {
        /// Its name.
        name: String,
    },
    /// Enable or disable a profile.
    SetProfileEnabled {
        /// Its name.
        name: String,
        /// On or off.
        enabled: bool,
    },
    /// Grant or withdraw a permission.
    SetPermission {
        /// The profile.
        profile: String,
        /// The permission's name.
        permission: String,
        /// Granted or not.
        on: bool,
    },
    /// The default profile.
    SetDefaultProfile {
        /// Its name.
        name: String,
    },
    /// Unattended access for a profile.
    SetUnattended {
        /// The profile.
        profile: String,
        /// On or off.
        on: bool,
    },
    /// Judge a password (read-only).
    PasswordStrength {
        /// The profile.
        profile: String,
        /// The password (never logged).
        password: String,
    },
    /// Set a profile's password.
    SetPassword {
        /// The profile.
        profile: String,
        /// The password (never logged).
        password: String,
    },
    /// Remove a profile's password.
    ClearPassword {
        /// The profile.
        profile: String,
    },
    /// Read the access control list.
    ListAcl,
    /// Put a viewer on the access control list.
    AddAclEntry {
        /// Its key fingerprint.
        fingerprint: String,
        /// The profiles it may ask for (none: any).
        #[serde(default)]
        profiles: Vec<String>,
    },
    /// Take a viewer off the access control list.
    RemoveAclEntry {
        /// Its key fingerprint.
        fingerprint: String,
    },
    /// Turn the access control list on or off.
    SetAcl {
        /// On or off.
        on: bool,
    },
}

impl AdminOp {
    /// Whether it changes anything (only trusted callers may send those).
    /// No wildcard arm: a new operation must be classified.
    pub fn changes_anything(&self) -> bool {
        match self {
            AdminOp::Status
            | AdminOp::ListTokens
            | AdminOp::ListAcl
            | AdminOp::PasswordStrength { .. } => false,
            AdminOp::SetInteractive { .. }
            | AdminOp::SetSaveLogin { .. }
            | AdminOp::RevokeToken { .. }
            | AdminOp::ClearTokens
            | AdminOp::EnrollTwoFactor
            | AdminOp::ConfirmTwoFactor { .. }
            | AdminOp::DisableTwoFactor
            | AdminOp::SetTwoFactorScope { .. }
            | AdminOp::CreateProfile { .. }
            | AdminOp::RenameProfile { .. }
            | AdminOp::DeleteProfile { .. }
            | AdminOp::SetProfileEnabled { .. }
            | AdminOp::SetPermission { .. }
            | AdminOp::SetDefaultProfile { .. }
            | AdminOp::SetUnattended { .. }
            | AdminOp::SetPassword { .. }
            | AdminOp::ClearPassword { .. }
            | AdminOp::AddAclEntry { .. }
            | AdminOp::RemoveAclEntry { .. }
            | AdminOp::SetAcl { .. } => true,
        }
    }

    /// Carry it out on `config`; the result as JSON (what the matching
    /// function returns: a status, a list, a count, the enrolment, ...).
    pub fn apply(self, config: &mut Config) -> Result<serde_json::Value, Error> {
        use serde_json::{json, to_value};
        let value = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| Error::Core(CoreError::Corrupt(e.to_string())))
        };
        match self {
            AdminOp::Status => value(to_value(status(config)?)),
            AdminOp::SetInteractive { mode } => Ok(json!(set_interactive(config, mode)?)),
            AdminOp::SetSaveLogin { on } => Ok(json!(set_save_login(config, on)?)),
            AdminOp::ListTokens => value(to_value(list_tokens(config))),
            AdminOp::RevokeToken { id } => Ok(json!(revoke_token(config, &id)?)),
            AdminOp::ClearTokens => Ok(json!(clear_tokens(config)?)),
            AdminOp::EnrollTwoFactor => {
                let e = enroll_two_factor(config)?;
                Ok(json!({
                    "uri": e.uri.as_str(),
                    "secret_base32": e.secret_base32.as_str(),
                    "qr_svg": e.qr_svg.as_str(),
                }))
            }
            AdminOp::ConfirmTwoFactor { code } => {
                let codes = confirm_two_factor(config, &code)?;
                Ok(json!(codes.iter().map(|c| c.as_str()).collect::<Vec<_>>()))
            }
            AdminOp::DisableTwoFactor => Ok(json!(disable_two_factor(config)?)),
            AdminOp::SetTwoFactorScope { scope, on } => {
                Ok(json!(set_two_factor_scope(config, scope, on)?))
            }
            AdminOp::CreateProfile { name, copy_from } => value(to_value(create_profile(
                config,
                &name,
                copy_from.as_deref(),
            )?)),
            AdminOp::RenameProfile { name, new_name } => {
                Ok(json!(rename_profile(config, &name, &new_name)?))
            }
            AdminOp::DeleteProfile { name } => Ok(json!(delete_profile(config, &name)?)),
            AdminOp::SetProfileEnabled { name, enabled } => {
                Ok(json!(set_profile_enabled(config, &name, enabled)?))
            }
            AdminOp::SetPermission {
                profile,
                permission,
                on,
            } => Ok(json!(set_permission(config, &profile, &permission, on)?)),
            AdminOp::SetDefaultProfile { name } => Ok(json!(set_default_profile(config, &name)?)),
            AdminOp::SetUnattended { profile, on } => {
                Ok(json!(set_unattended(config, Some(&profile), on)?))
            }
            AdminOp::PasswordStrength { profile, password } => {
                let password = Zeroizing::new(password);
                value(to_value(password_strength(
                    config,
                    Some(&profile),
                    &password,
                )))
            }
            AdminOp::SetPassword { profile, password } => {
                let password = Zeroizing::new(password);
                Ok(json!(set_password(config, Some(&profile), &password)?))
            }
            AdminOp::ClearPassword { profile } => {
                Ok(json!(clear_password(config, Some(&profile))?))
            }
            AdminOp::ListAcl => value(to_value(acl_list(config))),
            AdminOp::AddAclEntry {
                fingerprint,
                profiles,
            } => value(to_value(acl_add(config, &fingerprint, &profiles)?)),
            AdminOp::RemoveAclEntry { fingerprint } => Ok(json!(acl_remove(config, &fingerprint)?)),
            AdminOp::SetAcl { on } => Ok(json!(set_acl_enabled(config, on)?)),
        }
    }
}

/// The stable, snake_case name of an error for a program on the other end
/// (the desktop app, a control-socket client): `weak_password`,
/// `no_password`, `not_found`, `exists`, `builtin`, `wrong_credentials`,
/// `secret_store`, `bad_input` or `local`.
pub fn error_code(e: &Error) -> &'static str {
    match e {
        Error::Core(CoreError::Invalid(i)) => match i {
            Invalid::WeakPassword(_) => "weak_password",
            Invalid::NoPassword(_) => "no_password",
            Invalid::UnknownProfile(_)
            | Invalid::UnknownToken(_)
            | Invalid::UnknownPermission(_)
            | Invalid::NotOnAcl(_) => "not_found",
            Invalid::ProfileExists(_) => "exists",
            Invalid::BuiltinProfile(..) | Invalid::IsDefaultProfile(_) => "builtin",
            _ => "bad_input",
        },
        Error::WrongCredential(_) => "wrong_credentials",
        Error::SecretStoreUnavailable { .. } | Error::StoreMismatch { .. } => "secret_store",
        _ => "local",
    }
}
