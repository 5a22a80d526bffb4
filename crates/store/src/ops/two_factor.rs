//! The TOTP second factor: enrol, confirm with a code (recovery codes come
//! back once), disable, its exemptions and its state.

use rand_core::OsRng;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};
use zeroize::Zeroizing;

use latchkey_core::audit::AuditEvent;
use latchkey_core::totp::{self, TotpSecret};
use latchkey_core::Invalid;

use super::Operation;
use crate::config::now;
use crate::secrets::SecretName;
use crate::{Config, Error};

/// `2fa status --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// The secret outputs of `2fa enroll`, shown once.
pub struct Enrollment {
    /// `otpauth://` URI.
    pub uri: Zeroizing<String>,
    /// Base32 secret, for typing by hand.
    pub secret_base32: Zeroizing<String>,
    /// QR code of the URI, SVG.
    pub qr_svg: Zeroizing<String>,
}

/// What the app receives: `{"uri":..,"secret_base32":..,"qr_svg":..}`.
impl Serialize for Enrollment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Enrollment", 3)?;
        s.serialize_field("uri", self.uri.as_str())?;
        s.serialize_field("secret_base32", self.secret_base32.as_str())?;
        s.serialize_field("qr_svg", self.qr_svg.as_str())?;
        s.end()
    }
}

/// The recovery codes `2fa confirm` returns, shown once; a JSON array of strings.
pub struct RecoveryCodes(pub Vec<Zeroizing<String>>);

impl Serialize for RecoveryCodes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for code in &self.0 {
            seq.serialize_element(code.as_str())?;
        }
        seq.end()
    }
}

/// Which exemption `set_two_factor_scope` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorScope {
    /// Token logins.
    Tokens,
    /// The reconnect after a remote restart.
    Reconnect,
}

pub(super) fn two_factor_status_of(config: &Config, pending: bool) -> TwoFactorStatus {
    let tf = &config.settings().two_factor;
    TwoFactorStatus {
        enabled: tf.enabled,
        pending,
        apply_to_tokens: tf.apply_to_tokens,
        apply_to_reconnect: tf.apply_to_reconnect,
        recovery_codes_left: tf.recovery_codes.len(),
    }
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

/// Start a 2FA enrolment ([`enroll_two_factor`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollTwoFactor {}

impl Operation for EnrollTwoFactor {
    type Output = Enrollment;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<Enrollment, Error> {
        enroll_two_factor(config)
    }
}

/// Confirm the enrolment with a code ([`confirm_two_factor`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTwoFactor {
    /// The code (never logged).
    pub code: String,
}

impl std::fmt::Debug for ConfirmTwoFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmTwoFactor")
            .field("code", &"REDACTED")
            .finish()
    }
}

impl Operation for ConfirmTwoFactor {
    type Output = RecoveryCodes;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<RecoveryCodes, Error> {
        confirm_two_factor(config, &self.code).map(RecoveryCodes)
    }
}

/// Turn 2FA off ([`disable_two_factor`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactor {}

impl Operation for DisableTwoFactor {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        disable_two_factor(config)
    }
}

/// Read the 2FA state ([`two_factor_status`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetTwoFactorStatus {}

impl Operation for GetTwoFactorStatus {
    type Output = TwoFactorStatus;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<TwoFactorStatus, Error> {
        two_factor_status(config)
    }
}

/// An exemption ([`set_two_factor_scope`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetTwoFactorScope {
    /// Which.
    pub scope: TwoFactorScope,
    /// Whether 2FA applies there.
    pub on: bool,
}

impl Operation for SetTwoFactorScope {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_two_factor_scope(config, self.scope, self.on)
    }
}
