//! A profile's unattended password: judge it, set it (OPAQUE registration),
//! check it, clear it. The structs that carry a password never print it.

use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use latchkey_core::audit::AuditEvent;
use latchkey_core::pake::{self, KsfParams};
use latchkey_core::password_policy::{self, Strength};
use latchkey_core::{Error as CoreError, Invalid};

use super::Operation;
use crate::{Config, Error};

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

/// `Debug` for a struct holding a profile name and a password: the password stays out.
macro_rules! debug_without_password {
    ($name:ident) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("profile", &self.profile)
                    .field("password", &"REDACTED")
                    .finish()
            }
        }
    };
}

/// Judge a password ([`password_strength`]); read-only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordStrength {
    /// The profile.
    pub profile: String,
    /// The password (never logged).
    pub password: String,
}
debug_without_password!(PasswordStrength);

impl Operation for PasswordStrength {
    type Output = Strength;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<Strength, Error> {
        let password = Zeroizing::new(self.password);
        Ok(password_strength(config, Some(&self.profile), &password))
    }
}

/// Set a profile's password ([`set_password`]); returns how many tokens died.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The profile.
    pub profile: String,
    /// The password (never logged).
    pub password: String,
}
debug_without_password!(SetPassword);

impl Operation for SetPassword {
    type Output = usize;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<usize, Error> {
        let password = Zeroizing::new(self.password);
        set_password(config, Some(&self.profile), &password)
    }
}

/// Check a password ([`verify_password`]). It changes no setting but
/// writes an audit record.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyPassword {
    /// The profile.
    pub profile: String,
    /// The password (never logged).
    pub password: String,
}
debug_without_password!(VerifyPassword);

impl Operation for VerifyPassword {
    type Output = ();
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        let password = Zeroizing::new(self.password);
        verify_password(config, Some(&self.profile), &password)
    }
}

/// Remove a profile's password ([`clear_password`]); returns how many tokens died.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearPassword {
    /// The profile.
    pub profile: String,
}

impl Operation for ClearPassword {
    type Output = usize;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<usize, Error> {
        clear_password(config, Some(&self.profile))
    }
}
