//! Reconnect credentials: what lets a viewer back in after it restarted the
//! host (the `restart` feature), with no password.
//!
//! One is issued by a session that holds `restart`, just before the machine
//! reboots. It is 256 random bits (a [`Token`] in form), handed to that
//! session's viewer only; the host keeps SHA-256 of it in its settings (so it
//! survives the reboot), bound to the viewer's device key, the session's
//! profile, grant and password epoch, valid for [`VALID_S`] seconds, and good
//! for one login: the login that uses it removes it. It logs in only while
//! what the restarting session logged in with would still hold: a session the
//! person at the host accepted needs its profile enabled; an unattended one
//! also needs unattended access on and the same password epoch. "Clear all
//! tokens" and any password set kill it.

use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::identity::DevicePublicKey;
use crate::permission::PermissionSet;
use crate::profile::Profiles;
use crate::token::Token;
use crate::UnixTime;

/// How long a reconnect credential is good for, in seconds.
pub const VALID_S: u64 = 600;

/// What the host keeps about one issued reconnect credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconnectRecord {
    /// SHA-256 of the credential.
    #[serde(with = "hex")]
    pub hash: Vec<u8>,
    /// The device it was issued to.
    pub device_key: DevicePublicKey,
    /// The profile the restarting session had.
    pub profile: String,
    /// The permissions that session had (the reconnect gets no more, and no
    /// more than the profile grants when it is used).
    pub permissions: PermissionSet,
    /// The profile's password epoch when issued.
    pub epoch: u64,
    /// Whether the restarting session was accepted by the person at the host
    /// (rather than unattended, by password or token).
    pub attended: bool,
    /// When it stops working.
    pub expires: UnixTime,
}

/// What a reconnect logs in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnected {
    /// The profile.
    pub profile: String,
    /// The grant: the restarting session's, within the profile as it is now.
    pub permissions: PermissionSet,
    /// The profile's epoch (unchanged since issue).
    pub epoch: u64,
    /// Whether the restarting session was attended.
    pub attended: bool,
}

/// Why a reconnect credential did not log in (the host's audit log only;
/// the viewer hears "wrong credentials").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconnectRefusal {
    /// Never issued, already used, cleared, or expired and swept.
    Unknown,
    /// Issued to another device key.
    WrongDevice,
    /// Its ten minutes are over.
    Expired,
    /// The profile's password was set, or unattended access turned off, since issue.
    StaleEpoch,
    /// The profile is gone or disabled (or no longer takes unattended logins).
    ProfileUnavailable,
}

/// The host's issued reconnect credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reconnects(Vec<ReconnectRecord>);

/// At most this many are kept; issuing more drops the oldest.
pub const MAX_KEPT: usize = 16;

impl Reconnects {
    /// How many are kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Issue one for `device_key`, valid from `now` for [`VALID_S`].
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &mut self,
        device_key: DevicePublicKey,
        profile: &str,
        permissions: PermissionSet,
        epoch: u64,
        attended: bool,
        now: UnixTime,
        rng: &mut impl CryptoRngCore,
    ) -> (Token, ReconnectRecord) {
        let credential = Token::generate(rng);
        let record = ReconnectRecord {
            hash: credential.hash().to_vec(),
            device_key,
            profile: profile.to_string(),
            permissions,
            epoch,
            attended,
            expires: now.plus(VALID_S),
        };
        self.insert(record.clone(), now);
        (credential, record)
    }

    /// Keep a record issued against another copy of the settings (dropping
    /// the expired ones, and the oldest past [`MAX_KEPT`]).
    pub fn insert(&mut self, record: ReconnectRecord, now: UnixTime) {
        self.sweep(now);
        self.0.push(record);
        while self.0.len() > MAX_KEPT {
            self.0.remove(0);
        }
    }

    /// Use a presented credential: on success it is removed (single use)
    /// and what it logs in to is returned. An expired one is removed too.
    pub fn take(
        &mut self,
        credential: &Token,
        device_key: &DevicePublicKey,
        profiles: &Profiles,
        now: UnixTime,
    ) -> Result<Reconnected, ReconnectRefusal> {
        let idx = credential
            .position_in(self.0.iter().map(|r| r.hash.as_slice()))
            .ok_or(ReconnectRefusal::Unknown)?;
        let record = &self.0[idx];
        if !bool::from(record.device_key.0.ct_eq(&device_key.0)) {
            return Err(ReconnectRefusal::WrongDevice);
        }
        if now >= record.expires {
            self.0.remove(idx);
            return Err(ReconnectRefusal::Expired);
        }
        let profile = profiles
            .get(&record.profile)
            .map_err(|_| ReconnectRefusal::ProfileUnavailable)?;
        if !profile.enabled {
            return Err(ReconnectRefusal::ProfileUnavailable);
        }
        if !record.attended {
            if !profile.accepts_unattended() {
                return Err(ReconnectRefusal::ProfileUnavailable);
            }
            if profile.epoch != record.epoch {
                return Err(ReconnectRefusal::StaleEpoch);
            }
        }
        let record = self.0.remove(idx);
        Ok(Reconnected {
            permissions: record.permissions.intersect(profile.permissions),
            profile: record.profile,
            epoch: record.epoch,
            attended: record.attended,
        })
    }

    /// Drop the expired ones.
    pub fn sweep(&mut self, now: UnixTime) {
        self.0.retain(|r| now < r.expires);
    }

    /// Drop every one (a password set, "clear all tokens"); how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.0.len();
        self.0.clear();
        n
    }

    /// Drop the ones of a deleted profile.
    pub fn remove_profile(&mut self, profile: &str) {
        self.0.retain(|r| r.profile != profile);
    }

    /// Follow a profile rename.
    pub fn rename_profile(&mut self, from: &str, to: &str) {
        for r in self.0.iter_mut().filter(|r| r.profile == from) {
            r.profile = to.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DeviceKey;
    use crate::permission::Permission;
    use crate::settings::{SecretStoreKind, Settings};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn settings() -> Settings {
        let mut s = Settings::new(SecretStoreKind::File, &mut StdRng::seed_from_u64(1));
        let record = crate::pake::PasswordRecord {
            credential_id: vec![1; 16],
            registration: vec![2; 4],
            ksf: crate::pake::KsfParams::DEFAULT,
        };
        s.set_password("default", record).expect("set");
        s.set_unattended("default", true).expect("on");
        s
    }

    fn key(seed: u64) -> DevicePublicKey {
        DeviceKey::generate(&mut StdRng::seed_from_u64(seed)).public()
    }

    #[test]
    fn single_use_bound_to_the_device_and_ten_minutes() {
        let s = settings();
        let mut r = Reconnects::default();
        let rng = &mut StdRng::seed_from_u64(9);
        let all = s.profiles.get("default").expect("p").permissions;
        let (cred, _) = r.issue(key(2), "default", all, 1, false, UnixTime(1000), rng);
        assert_eq!(
            r.take(&cred, &key(3), &s.profiles, UnixTime(1001)),
            Err(ReconnectRefusal::WrongDevice)
        );
        let ok = r
            .take(&cred, &key(2), &s.profiles, UnixTime(1001))
            .expect("first use");
        assert_eq!(ok.profile, "default");
        assert_eq!(ok.permissions, all);
        assert_eq!(
            r.take(&cred, &key(2), &s.profiles, UnixTime(1002)),
            Err(ReconnectRefusal::Unknown),
            "single use"
        );
        let (late, _) = r.issue(key(2), "default", all, 1, false, UnixTime(1000), rng);
        assert_eq!(
            r.take(&late, &key(2), &s.profiles, UnixTime(1000 + VALID_S)),
            Err(ReconnectRefusal::Expired)
        );
        assert!(r.is_empty(), "the expired one is gone");
    }

    #[test]
    fn follows_the_profile_and_never_widens_the_grant() {
        let mut s = settings();
        let rng = &mut StdRng::seed_from_u64(9);
        let mut r = Reconnects::default();
        let mut asked = PermissionSet::NONE;
        asked.set(Permission::Restart, true);
        asked.set(Permission::ControlInput, true);
        let (cred, _) = r.issue(key(2), "default", asked, 1, false, UnixTime(0), rng);
        s.set_permission("default", Permission::ControlInput, false)
            .expect("withdraw");
        let got = r
            .take(&cred, &key(2), &s.profiles, UnixTime(1))
            .expect("use");
        assert!(got.permissions.contains(Permission::Restart));
        assert!(!got.permissions.contains(Permission::ControlInput));
        // Unattended origin: a password set since issue kills it.
        let epoch = s.profiles.get("default").expect("p").epoch;
        let (cred, _) = r.issue(key(2), "default", asked, epoch, false, UnixTime(0), rng);
        s.set_unattended("default", false).expect("off");
        assert_eq!(
            r.take(&cred, &key(2), &s.profiles, UnixTime(1)),
            Err(ReconnectRefusal::ProfileUnavailable)
        );
        // Attended origin: unattended access does not matter, enabled does.
        let (cred, _) = r.issue(key(2), "default", asked, 0, true, UnixTime(0), rng);
        assert!(r.take(&cred, &key(2), &s.profiles, UnixTime(1)).is_ok());
    }

    #[test]
    fn keeps_a_bounded_number() {
        let mut r = Reconnects::default();
        let rng = &mut StdRng::seed_from_u64(9);
        for _ in 0..(MAX_KEPT + 5) {
            r.issue(
                key(2),
                "default",
                PermissionSet::NONE,
                0,
                true,
                UnixTime(0),
                rng,
            );
        }
        assert_eq!(r.len(), MAX_KEPT);
    }
}
