//! The host's settings: interactive mode, saving login information, 2FA state,
//! profiles and issued tokens, with the rules that cross them (a password change
//! kills the profile's tokens, unattended access needs a password, the default
//! profile cannot be deleted...). Versioned JSON with a migration from each
//! earlier version; a newer or damaged file is refused, never reset.

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::acl::AccessList;
use crate::identity::DevicePublicKey;
use crate::pake::PasswordRecord;
use crate::permission::{Permission, PermissionSet};
use crate::profile::{Profile, Profiles};
use crate::token::{Token, TokenRecord, Tokens};
use crate::totp::TwoFactor;
use crate::{Error, Invalid, UnixTime};

/// The version this build writes.
pub const SETTINGS_VERSION: u32 = 4;

/// What happens when someone connects without a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum InteractiveMode {
    /// Always show the accept window.
    #[default]
    Always,
    /// Show it only while the main window is open; otherwise refuse.
    Window,
    /// Never: access is exclusively unattended.
    Never,
}

impl InteractiveMode {
    /// The shared name.
    pub fn name(self) -> &'static str {
        match self {
            InteractiveMode::Always => "always",
            InteractiveMode::Window => "window",
            InteractiveMode::Never => "never",
        }
    }
}

impl fmt::Display for InteractiveMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InteractiveMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(InteractiveMode::Always),
            "window" => Ok(InteractiveMode::Window),
            "never" => Ok(InteractiveMode::Never),
            other => Err(format!(
                "unknown interactive mode '{other}' (always, window, never)"
            )),
        }
    }
}

/// Where this configuration keeps its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SecretStoreKind {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    #[default]
    Keyring,
    /// `<config-dir>/secrets`, mode 0600.
    File,
}

impl SecretStoreKind {
    /// The shared name.
    pub fn name(self) -> &'static str {
        match self {
            SecretStoreKind::Keyring => "keyring",
            SecretStoreKind::File => "file",
        }
    }
}

/// Everything a host remembers that is not secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Always [`SETTINGS_VERSION`] once loaded.
    pub version: u32,
    /// Random identifier of this configuration; namespaces its entries in a shared keyring.
    pub instance: String,
    /// Which secret store holds this configuration's secrets.
    pub secret_store: SecretStoreKind,
    /// What happens on a request with no credential.
    pub interactive: InteractiveMode,
    /// Whether viewers may save login information (new tokens).
    pub save_login: bool,
    /// Second-factor state.
    pub two_factor: TwoFactor,
    /// Profile used when a viewer names none.
    pub default_profile: String,
    /// All profiles.
    pub profiles: Profiles,
    /// Issued tokens (hashes only).
    pub tokens: Tokens,
    /// Issued reconnect credentials (hashes only; see [`crate::reconnect`]).
    #[serde(default)]
    pub reconnects: crate::reconnect::Reconnects,
    /// The rendezvous server this device uses (`ws://` or `wss://`), once given.
    #[serde(default)]
    pub rendezvous: Option<String>,
    /// The ID the rendezvous assigned to this device's key, once registered.
    #[serde(default)]
    pub device_id: Option<crate::signal::DeviceId>,
    /// Moves on every saved change, so a reader (a live session) can tell the
    /// file changed without trusting its modification time.
    #[serde(default)]
    pub generation: u64,
    /// Which viewer keys may ask at all (off on a fresh install).
    pub acl: AccessList,
}

/// One profile as `status` and `profile show` report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProfileSummary {
    /// Name.
    pub name: String,
    /// Whether it is one of the four built-ins.
    pub builtin: bool,
    /// Whether it can be granted.
    pub enabled: bool,
    /// Whether unattended access is on.
    pub unattended: bool,
    /// Whether a password is set.
    pub has_password: bool,
    /// Whether this is the default profile.
    pub default: bool,
    /// Granted permissions, in seed order.
    pub permissions: PermissionSet,
}

impl Settings {
    /// A fresh install's settings: unattended off everywhere, saving login info
    /// off, interactive `always`, 2FA off.
    pub fn new(store: SecretStoreKind, rng: &mut impl CryptoRngCore) -> Self {
        let mut instance = [0u8; 16];
        rng.fill_bytes(&mut instance);
        Settings {
            version: SETTINGS_VERSION,
            instance: hex::encode(instance),
            secret_store: store,
            interactive: InteractiveMode::Always,
            save_login: false,
            two_factor: TwoFactor::default(),
            default_profile: "default".to_string(),
            profiles: Profiles::default(),
            tokens: Tokens::default(),
            reconnects: Default::default(),
            rendezvous: None,
            device_id: None,
            generation: 0,
            acl: AccessList::default(),
        }
    }

    /// Parse the JSON form, migrating older versions. A newer version, invalid
    /// JSON or broken invariants are errors: the caller must not overwrite the file.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let mut value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::corrupt(format!("not valid JSON ({e})")))?;
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| Error::corrupt("no \"version\" number"))?;
        let version = u32::try_from(version).map_err(|_| Error::corrupt("version out of range"))?;
        if version > SETTINGS_VERSION {
            return Err(Error::NewerSettings {
                found: version,
                supported: SETTINGS_VERSION,
            });
        }
        if version == 0 {
            return Err(Error::corrupt("version 0 does not exist"));
        }
        if version == 1 {
            value = migrate_v1_to_v2(value)?;
        }
        if version <= 2 {
            value = migrate_v2_to_v3(value)?;
        }
        if version <= 3 {
            value = migrate_v3_to_v4(value)?;
        }
        let settings: Settings = serde_json::from_value(value)
            .map_err(|e| Error::corrupt(format!("unexpected content ({e})")))?;
        settings.check()?;
        Ok(settings)
    }

    /// The JSON form (pretty, stable field order).
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::corrupt(format!("cannot serialize settings ({e})")))
    }

    fn check(&self) -> Result<(), Error> {
        if self.instance.len() != 32 || !self.instance.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::corrupt("instance must be 32 hex digits"));
        }
        let list: Vec<Profile> = self.profiles.iter().cloned().collect();
        Profiles::from_list(list)?;
        self.profiles.get(&self.default_profile).map_err(|_| {
            Error::corrupt(format!(
                "default profile '{}' does not exist",
                self.default_profile
            ))
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for e in &self.acl.entries {
            let canonical = crate::acl::parse_fingerprint(&e.fingerprint).ok();
            if canonical.as_deref() != Some(e.fingerprint.as_str()) || !seen.insert(&e.fingerprint)
            {
                return Err(Error::corrupt(format!(
                    "access control list: bad or repeated fingerprint '{}'",
                    e.fingerprint
                )));
            }
        }
        Ok(())
    }

    /// A profile by name, or the default one.
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, Invalid> {
        self.profiles.get(name.unwrap_or(&self.default_profile))
    }

    /// The name asked for, or the default profile's.
    pub fn profile_name(&self, name: Option<&str>) -> Result<String, Invalid> {
        Ok(self.profile(name)?.name.clone())
    }

    /// Summaries of every profile.
    pub fn summaries(&self) -> Vec<ProfileSummary> {
        self.profiles.iter().map(|p| self.summary(p)).collect()
    }

    /// The summary of one profile.
    pub fn summary(&self, p: &Profile) -> ProfileSummary {
        ProfileSummary {
            name: p.name.clone(),
            builtin: p.builtin,
            enabled: p.enabled,
            unattended: p.unattended,
            has_password: p.has_password(),
            default: p.name == self.default_profile,
            permissions: p.permissions,
        }
    }

    /// Store a new password record; bumps the epoch (even for the same password),
    /// which kills every token of this profile.
    pub fn set_password(
        &mut self,
        profile: &str,
        record: PasswordRecord,
    ) -> Result<usize, Invalid> {
        let p = self.profiles.get_mut(profile)?;
        p.password = Some(record);
        p.epoch += 1;
        self.reconnects.remove_profile(profile);
        Ok(self.tokens.prune_stale(&self.profiles))
    }

    /// Remove the password; turns unattended access off and kills the tokens.
    pub fn clear_password(&mut self, profile: &str) -> Result<usize, Invalid> {
        let p = self.profiles.get_mut(profile)?;
        p.password = None;
        p.unattended = false;
        p.epoch += 1;
        self.reconnects.remove_profile(profile);
        Ok(self.tokens.prune_stale(&self.profiles))
    }

    /// Turn unattended access on or off; on needs a password. Off ends the
    /// profile's tokens for good: the epoch moves, so turning it on again does
    /// not bring them back (nor lets a login begun before issue one). Returns
    /// how many tokens died.
    pub fn set_unattended(&mut self, profile: &str, on: bool) -> Result<usize, Invalid> {
        let p = self.profiles.get_mut(profile)?;
        if on && p.password.is_none() {
            return Err(Invalid::NoPassword(p.name.clone()));
        }
        p.unattended = on;
        if on {
            return Ok(0);
        }
        p.epoch += 1;
        Ok(self.tokens.prune_stale(&self.profiles))
    }

    /// Enable or disable a profile. The default profile cannot be disabled.
    pub fn set_enabled(&mut self, profile: &str, enabled: bool) -> Result<(), Invalid> {
        if !enabled && profile == self.default_profile {
            return Err(Invalid::IsDefaultProfile(profile.to_string()));
        }
        self.profiles.get_mut(profile)?.enabled = enabled;
        Ok(())
    }

    /// Where a profile's tunnels may lead.
    pub fn set_tunnel_destinations(
        &mut self,
        profile: &str,
        destinations: crate::feature::tunnel::Destinations,
    ) -> Result<(), Invalid> {
        self.profiles.get_mut(profile)?.tunnel_destinations = destinations;
        Ok(())
    }

    /// Grant or withdraw one permission.
    pub fn set_permission(
        &mut self,
        profile: &str,
        permission: Permission,
        on: bool,
    ) -> Result<(), Invalid> {
        self.profiles
            .get_mut(profile)?
            .permissions
            .set(permission, on);
        Ok(())
    }

    /// Make `profile` the default; it must be enabled.
    pub fn set_default_profile(&mut self, profile: &str) -> Result<(), Invalid> {
        let p = self.profiles.get(profile)?;
        if !p.enabled {
            return Err(Invalid::ProfileDisabled(profile.to_string()));
        }
        self.default_profile = profile.to_string();
        Ok(())
    }

    /// Rename a user profile; its tokens and the default follow.
    pub fn rename_profile(&mut self, from: &str, to: &str) -> Result<(), Invalid> {
        self.profiles.rename(from, to)?;
        self.tokens.rename_profile(from, to);
        self.reconnects.rename_profile(from, to);
        self.acl.rename_profile(from, to);
        if self.default_profile == from {
            self.default_profile = to.to_string();
        }
        Ok(())
    }

    /// Delete a user profile and its tokens; returns how many tokens died.
    pub fn delete_profile(&mut self, name: &str) -> Result<usize, Invalid> {
        if name == self.default_profile {
            self.profiles.get(name)?;
            return Err(Invalid::IsDefaultProfile(name.to_string()));
        }
        self.profiles.delete(name)?;
        self.acl.remove_profile(name);
        self.reconnects.remove_profile(name);
        Ok(self.tokens.remove_profile(name))
    }

    /// List a viewer on the access control list (or replace the profiles it is
    /// limited to; none means any). Every named profile must exist.
    pub fn acl_add(
        &mut self,
        fingerprint: &str,
        profiles: &[String],
    ) -> Result<crate::acl::AclEntry, Invalid> {
        for p in profiles {
            self.profiles.get(p)?;
        }
        self.acl.add(fingerprint, profiles)
    }

    /// Issue a saved-login token for `device_key` under `profile`, if this host
    /// allows saving login information and the profile takes unattended logins.
    pub fn issue_token(
        &mut self,
        device_key: DevicePublicKey,
        profile: &str,
        epoch: u64,
        label: &str,
        now: UnixTime,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Token, TokenRecord), Invalid> {
        self.may_issue_token(profile, epoch)?;
        self.tokens
            .issue(device_key, profile, epoch, label, now, rng)
    }

    /// Keep the record of a token issued against another copy of these
    /// settings (the handshake issues on its snapshot, the store writes it),
    /// checking again that issuing is allowed.
    pub fn admit_token(&mut self, record: TokenRecord) -> Result<(), Invalid> {
        self.may_issue_token(&record.profile, record.epoch)?;
        self.tokens.insert(record);
        Ok(())
    }

    fn may_issue_token(&self, profile: &str, epoch: u64) -> Result<(), Invalid> {
        if !self.save_login {
            return Err(Invalid::SaveLoginOff);
        }
        let p = self.profiles.get(profile)?;
        if !p.accepts_unattended() {
            return Err(Invalid::ProfileNotUnattended(profile.to_string()));
        }
        // Issued only at the epoch the login was checked against: a login that
        // began under the old password never yields a token for the new one.
        if p.epoch != epoch {
            return Err(Invalid::PasswordChanged(profile.to_string()));
        }
        Ok(())
    }
}

/// Version 4 added each profile's `tunnel_destinations`; earlier profiles
/// had no tunnels, and take the default: any destination. (The version moves
/// so that an older build refuses the file instead of dropping the limits.)
fn migrate_v3_to_v4(mut value: serde_json::Value) -> Result<serde_json::Value, Error> {
    use serde_json::Value;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| Error::corrupt("not a JSON object"))?;
    if let Some(Value::Array(profiles)) = obj.get_mut("profiles") {
        for p in profiles.iter_mut().filter_map(Value::as_object_mut) {
            p.entry("tunnel_destinations").or_insert(Value::from("any"));
        }
    }
    obj.insert("version".into(), Value::from(4u32));
    Ok(value)
}

/// Version 3 added the access control list; earlier files had none, which
/// is the same as an empty list turned off.
fn migrate_v2_to_v3(mut value: serde_json::Value) -> Result<serde_json::Value, Error> {
    use serde_json::Value;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| Error::corrupt("not a JSON object"))?;
    obj.entry("acl")
        .or_insert(serde_json::json!({"enabled": false, "entries": []}));
    obj.insert("version".into(), Value::from(3u32));
    Ok(value)
}

/// Version 1 was the layout of the first development builds: the interactive
/// mode was called `accept_mode`, profiles had no password epoch (tokens then
/// died only by "clear all"), and 2FA had no exemptions. Migrating keeps every
/// value, starts epochs at 0 and takes the safe default for the exemptions
/// (2FA applies to token logins and reconnects).
fn migrate_v1_to_v2(mut value: serde_json::Value) -> Result<serde_json::Value, Error> {
    use serde_json::Value;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| Error::corrupt("not a JSON object"))?;
    if let Some(mode) = obj.remove("accept_mode") {
        obj.insert("interactive".into(), mode);
    }
    if let Some(Value::Array(profiles)) = obj.get_mut("profiles") {
        for p in profiles.iter_mut().filter_map(Value::as_object_mut) {
            p.entry("epoch").or_insert(Value::from(0u64));
        }
    }
    if let Some(tf) = obj.get_mut("two_factor").and_then(Value::as_object_mut) {
        tf.entry("apply_to_tokens").or_insert(Value::Bool(true));
        tf.entry("apply_to_reconnect").or_insert(Value::Bool(true));
    }
    if let Some(Value::Array(tokens)) = obj.get_mut("tokens") {
        for t in tokens.iter_mut().filter_map(Value::as_object_mut) {
            t.entry("epoch").or_insert(Value::from(0u64));
        }
    }
    obj.insert("version".into(), Value::from(2u32));
    Ok(value)
}

#[cfg(test)]
mod tests;
