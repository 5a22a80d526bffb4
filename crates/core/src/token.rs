//! Saved-login tokens ("log in automatically from now on").
//!
//! A token is 256 random bits handed to one viewer device. The host keeps only
//! SHA-256 of it, next to the device key it was issued to, the profile, and that
//! profile's password epoch at issue. It logs in only when all of these still
//! hold: the hash is known, the presenting device proves the same key (the
//! session layer checks the signature; here the key is compared), the profile's
//! epoch has not moved, and the profile is enabled with unattended access on.

use base64::Engine as _;
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::identity::DevicePublicKey;
use crate::profile::Profiles;
use crate::{Error, Invalid, UnixTime};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A token in the clear, as the viewer keeps it. Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Zeroizing<[u8; 32]>);

impl Token {
    /// 256 fresh random bits.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        Token(bytes)
    }

    /// Parse the text form (URL-safe base64, 43 characters).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bytes = Zeroizing::new(
            B64.decode(text.trim())
                .map_err(|_| Error::AuthenticationFailed)?,
        );
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::AuthenticationFailed)?;
        Ok(Token(Zeroizing::new(arr)))
    }

    /// The text form, for the viewer's secret store and nothing else.
    pub fn expose(&self) -> Zeroizing<String> {
        Zeroizing::new(B64.encode(self.0.as_ref()))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_ref()).into()
    }

    /// Which of `hashes` is this token's, comparing against every one
    /// without stopping early (saved-login tokens and reconnect credentials
    /// are both kept as such hashes).
    pub(crate) fn position_in<'a>(&self, hashes: impl Iterator<Item = &'a [u8]>) -> Option<usize> {
        let hash = self.hash();
        let mut found = None;
        for (i, h) in hashes.enumerate() {
            if bool::from(h.ct_eq(&hash)) {
                found = Some(i);
            }
        }
        found
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(REDACTED)")
    }
}

/// What the host keeps about one issued token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Short public handle for listing and revoking (not derived from the token).
    pub id: String,
    /// SHA-256 of the token.
    #[serde(with = "hex")]
    pub hash: Vec<u8>,
    /// The device the token was issued to.
    pub device_key: DevicePublicKey,
    /// The profile it logs into.
    pub profile: String,
    /// That profile's password epoch when it was issued.
    pub epoch: u64,
    /// When it was issued.
    pub created: UnixTime,
    /// When it last logged in.
    pub last_used: Option<UnixTime>,
    /// A human label (viewer's name or ID).
    pub label: String,
}

/// Why a token did not log in. Shown only in the host's audit log; the viewer
/// hears "wrong credentials" whatever the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenRefusal {
    /// No record has this hash (never issued, revoked or cleared).
    Unknown,
    /// Issued to another device key.
    WrongDevice,
    /// The profile's password was set or cleared since issue.
    StaleEpoch,
    /// The profile is gone, disabled, or has unattended access off.
    ProfileUnavailable,
}

/// The host's list of issued tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tokens(Vec<TokenRecord>);

/// Labels: up to 64 printable characters.
pub fn validate_label(label: &str) -> Result<(), Invalid> {
    if label.chars().count() > 64 || label.chars().any(|c| c.is_control()) {
        return Err(Invalid::BadLabel);
    }
    Ok(())
}

impl Tokens {
    /// Wrap records read from storage.
    pub fn from_list(list: Vec<TokenRecord>) -> Self {
        Tokens(list)
    }

    /// All records, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &TokenRecord> {
        self.0.iter()
    }

    /// How many tokens are live.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Issue a token. The caller has checked that issuing is allowed
    /// (see `Settings::issue_token`).
    pub fn issue(
        &mut self,
        device_key: DevicePublicKey,
        profile: &str,
        epoch: u64,
        label: &str,
        now: UnixTime,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Token, TokenRecord), Invalid> {
        validate_label(label)?;
        let token = Token::generate(rng);
        let mut id = [0u8; 6];
        rng.fill_bytes(&mut id);
        let record = TokenRecord {
            id: hex::encode(id),
            hash: token.hash().to_vec(),
            device_key,
            profile: profile.to_string(),
            epoch,
            created: now,
            last_used: None,
            label: label.to_string(),
        };
        self.0.push(record.clone());
        Ok((token, record))
    }

    /// Keep a record issued elsewhere (see `Settings::admit_token`).
    pub fn insert(&mut self, record: TokenRecord) {
        self.0.push(record);
    }

    /// Check a presented token. On success marks it used at `now` and returns
    /// the profile name it logs into.
    pub fn verify(
        &mut self,
        token: &Token,
        device_key: &DevicePublicKey,
        profiles: &Profiles,
        now: UnixTime,
    ) -> Result<String, TokenRefusal> {
        let idx = self.position(token).ok_or(TokenRefusal::Unknown)?;
        let record = &mut self.0[idx];
        if !bool::from(record.device_key.0.ct_eq(&device_key.0)) {
            return Err(TokenRefusal::WrongDevice);
        }
        let profile = profiles
            .get(&record.profile)
            .map_err(|_| TokenRefusal::ProfileUnavailable)?;
        if profile.epoch != record.epoch {
            return Err(TokenRefusal::StaleEpoch);
        }
        if !profile.accepts_unattended() {
            return Err(TokenRefusal::ProfileUnavailable);
        }
        record.last_used = Some(now);
        Ok(record.profile.clone())
    }

    /// Where the record of `token` is, comparing against every record
    /// without stopping early.
    fn position(&self, token: &Token) -> Option<usize> {
        token.position_in(self.0.iter().map(|r| r.hash.as_slice()))
    }

    /// The id of `token`'s record, if it is known.
    pub fn id_of(&self, token: &Token) -> Option<String> {
        self.position(token).map(|i| self.0[i].id.clone())
    }

    /// Whether a token with this id is still issued.
    pub fn contains_id(&self, id: &str) -> bool {
        self.0.iter().any(|r| r.id == id)
    }

    /// Revoke one token by id.
    pub fn revoke(&mut self, id: &str) -> Result<TokenRecord, Invalid> {
        let idx = self
            .0
            .iter()
            .position(|r| r.id == id)
            .ok_or_else(|| Invalid::UnknownToken(id.to_string()))?;
        Ok(self.0.remove(idx))
    }

    /// Revoke every token; returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.0.len();
        self.0.clear();
        n
    }

    /// Drop the tokens of one profile (deleted) and return how many.
    pub fn remove_profile(&mut self, profile: &str) -> usize {
        let before = self.0.len();
        self.0.retain(|r| r.profile != profile);
        before - self.0.len()
    }

    /// Follow a profile rename.
    pub fn rename_profile(&mut self, from: &str, to: &str) {
        for r in self.0.iter_mut().filter(|r| r.profile == from) {
            r.profile = to.to_string();
        }
    }

    /// Forget records whose epoch can never match again (housekeeping after a password change).
    pub fn prune_stale(&mut self, profiles: &Profiles) -> usize {
        let before = self.0.len();
        self.0.retain(|r| {
            profiles
                .get(&r.profile)
                .map(|p| p.epoch == r.epoch)
                .unwrap_or(false)
        });
        before - self.0.len()
    }
}

#[cfg(test)]
mod tests;
