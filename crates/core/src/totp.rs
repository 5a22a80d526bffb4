//! The TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s steps, `totp-rs`),
//! with replay refusal and one-time recovery codes.
//!
//! The secret lives in the secret store; [`TwoFactor`] (in the settings) keeps
//! only what is not secret: whether 2FA is on, its two exemptions, the last step
//! used (to refuse replays) and SHA-256 hashes of the unused recovery codes
//! (each code carries 80 random bits, so a fast hash is enough).

use qrcode::render::svg;
use qrcode::QrCode;
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::identity::group4;
use crate::{Error, UnixTime};

/// Seconds per TOTP step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Issuer shown in authenticator apps.
pub const ISSUER: &str = "Latchkey";
/// Number of recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// The shared TOTP secret: 160 random bits. Redacted in `Debug`.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// 160 fresh random bits.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 20]);
        rng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// Restore from the secret store.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < 16 {
            return Err(Error::corrupt("TOTP secret shorter than 128 bits"));
        }
        Ok(TotpSecret(Zeroizing::new(bytes.to_vec())))
    }

    /// Bytes for the secret store.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.0.clone()
    }

    /// Base32, as typed into an authenticator app by hand.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.0))
    }

    fn totp(&self, account: &str) -> Result<TOTP, Error> {
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            1,
            STEP_SECS,
            self.0.to_vec(),
            Some(ISSUER.to_string()),
            account.replace(':', "-"),
        )
        .map_err(|_| Error::Crypto("TOTP parameters"))
    }

    /// The code for a given step.
    pub fn code_at_step(&self, step: u64) -> Result<String, Error> {
        Ok(self.totp("x")?.generate(step * STEP_SECS))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(REDACTED)")
    }
}

/// What `2fa enroll` shows: all of it secret, shown once to the owner.
pub struct Enrollment {
    /// The new secret (to keep as pending until confirmed).
    pub secret: TotpSecret,
    /// `otpauth://totp/Latchkey:ACCOUNT?secret=...&issuer=Latchkey`.
    pub uri: Zeroizing<String>,
    /// The URI as a QR code, SVG.
    pub qr_svg: Zeroizing<String>,
}

/// Start enrolment for `account` (shown in the authenticator app, e.g. the device fingerprint).
pub fn enroll(account: &str, rng: &mut impl CryptoRngCore) -> Result<Enrollment, Error> {
    let secret = TotpSecret::generate(rng);
    let uri = Zeroizing::new(secret.totp(account)?.get_url());
    let qr = QrCode::new(uri.as_bytes()).map_err(|_| Error::Crypto("QR code"))?;
    let qr_svg = Zeroizing::new(
        qr.render::<svg::Color>()
            .min_dimensions(256, 256)
            .quiet_zone(true)
            .build(),
    );
    Ok(Enrollment {
        secret,
        uri,
        qr_svg,
    })
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeRefusal {
    /// Neither 6 digits nor a recovery code.
    Malformed,
    /// Not the code for the previous, current or next step, nor an unused recovery code.
    Wrong,
    /// The code's step was already used (or is older than one that was).
    Replayed,
}

/// Check a 6-digit code against `secret` at `now`, accepting the current step ±1
/// and refusing a step at or before `last_used_step`. Returns the matched step.
pub fn check_code(
    secret: &TotpSecret,
    code: &str,
    now: UnixTime,
    last_used_step: Option<u64>,
) -> Result<u64, CodeRefusal> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeRefusal::Malformed);
    }
    let current = now.0 / STEP_SECS;
    let mut matched = None;
    for step in [current.saturating_sub(1), current, current + 1] {
        let expected = secret.code_at_step(step).map_err(|_| CodeRefusal::Wrong)?;
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && matched.is_none() {
            matched = Some(step);
        }
    }
    let step = matched.ok_or(CodeRefusal::Wrong)?;
    if last_used_step.is_some_and(|last| step <= last) {
        return Err(CodeRefusal::Replayed);
    }
    Ok(step)
}

/// Which second factor let someone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SecondFactorUsed {
    /// A TOTP code.
    Totp,
    /// A recovery code, now spent.
    RecoveryCode {
        /// How many unused codes are left.
        left: usize,
    },
}

/// The kind of login a second factor might apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginKind {
    /// By password.
    Password,
    /// By a saved-login token.
    Token,
    /// The short-lived reconnect after a remote restart.
    Reconnect,
}

/// The non-secret 2FA state kept in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactor {
    /// Whether unattended logins need a code.
    pub enabled: bool,
    /// Whether token logins need one too (default yes).
    pub apply_to_tokens: bool,
    /// Whether the reconnect after a remote restart needs one too (default yes).
    pub apply_to_reconnect: bool,
    /// The newest TOTP step used; older or equal steps are refused.
    pub last_used_step: Option<u64>,
    /// SHA-256 (hex) of each unused recovery code.
    pub recovery_codes: Vec<String>,
}

impl Default for TwoFactor {
    fn default() -> Self {
        TwoFactor {
            enabled: false,
            apply_to_tokens: true,
            apply_to_reconnect: true,
            last_used_step: None,
            recovery_codes: Vec::new(),
        }
    }
}

fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn hash_recovery(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

impl TwoFactor {
    /// Whether a login of this kind needs a second factor now.
    pub fn applies_to(&self, kind: LoginKind) -> bool {
        self.enabled
            && match kind {
                LoginKind::Password => true,
                LoginKind::Token => self.apply_to_tokens,
                LoginKind::Reconnect => self.apply_to_reconnect,
            }
    }

    /// Turn 2FA on after `code` proves the owner's app has `pending`. Returns
    /// the recovery codes to show once.
    pub fn confirm(
        &mut self,
        pending: &TotpSecret,
        code: &str,
        now: UnixTime,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<Zeroizing<String>>, CodeRefusal> {
        let step = check_code(pending, code, now, None)?;
        self.enabled = true;
        self.last_used_step = Some(step);
        Ok(self.new_recovery_codes(rng))
    }

    /// Turn 2FA off and forget its state (the exemptions keep their values).
    pub fn disable(&mut self) {
        self.enabled = false;
        self.last_used_step = None;
        self.recovery_codes.clear();
    }

    /// Replace the recovery codes with [`RECOVERY_CODES`] fresh ones, returned in the clear once.
    pub fn new_recovery_codes(&mut self, rng: &mut impl CryptoRngCore) -> Vec<Zeroizing<String>> {
        let mut shown = Vec::with_capacity(RECOVERY_CODES);
        self.recovery_codes.clear();
        for _ in 0..RECOVERY_CODES {
            let mut raw = Zeroizing::new([0u8; 10]);
            rng.fill_bytes(raw.as_mut());
            let text = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(raw.as_ref()));
            self.recovery_codes.push(hash_recovery(&text));
            shown.push(Zeroizing::new(group4(&text)));
        }
        shown
    }

    /// Check a second factor: a TOTP code (step ±1, no replay) or an unused
    /// recovery code (spent on use). Records what was used.
    pub fn verify(
        &mut self,
        secret: &TotpSecret,
        code: &str,
        now: UnixTime,
    ) -> Result<SecondFactorUsed, CodeRefusal> {
        let trimmed = code.trim();
        if trimmed.len() == DIGITS {
            let step = check_code(secret, trimmed, now, self.last_used_step)?;
            self.last_used_step = Some(step);
            return Ok(SecondFactorUsed::Totp);
        }
        let normalized = normalize_recovery(trimmed);
        if normalized.len() != 16 {
            return Err(CodeRefusal::Malformed);
        }
        let hash = hash_recovery(&normalized);
        let mut found = None;
        for (i, h) in self.recovery_codes.iter().enumerate() {
            if bool::from(h.as_bytes().ct_eq(hash.as_bytes())) {
                found = Some(i);
            }
        }
        let idx = found.ok_or(CodeRefusal::Wrong)?;
        self.recovery_codes.remove(idx);
        Ok(SecondFactorUsed::RecoveryCode {
            left: self.recovery_codes.len(),
        })
    }
}

#[cfg(test)]
mod tests;
