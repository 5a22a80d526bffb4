//! The access control list: when it is on, only the viewer device keys listed
//! here may even ask for a session (before any password, token or accept
//! window), and an entry may limit its viewer to some profiles.
//!
//! Entries name a viewer by its device key's fingerprint (what `latchkey
//! status` prints on the viewer). Viewer IDs are not accepted: a viewer does
//! not announce or prove an ID in its hello, and resolving one to a key would
//! mean trusting the rendezvous, which the handshake is built not to trust.

use serde::{Deserialize, Serialize};

use crate::identity::DevicePublicKey;
use crate::Invalid;

/// The list and whether it is enforced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccessList {
    /// Whether unlisted viewers are refused. Off on a fresh install.
    pub enabled: bool,
    /// The listed viewers, in the order they were added.
    pub entries: Vec<AclEntry>,
}

/// One listed viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AclEntry {
    /// The viewer's device key fingerprint, canonical (`ABCD-EFGH-IJKL-MNOP`).
    pub fingerprint: String,
    /// The profiles it may ask for; empty means any.
    pub profiles: Vec<String>,
}

/// Why the list refuses a viewer (the audit reason is `not_on_acl` for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclRefusal {
    /// Its key is not listed.
    NotListed,
    /// Listed, but limited to other profiles.
    ProfileNotAllowed,
}

impl AclRefusal {
    /// The audit log's reason.
    pub const REASON: &'static str = "not_on_acl";
}

/// Parse a fingerprint as a person types it: case-insensitive, with or without
/// the dashes (or spaces). Anything else is [`Invalid::BadFingerprint`].
pub fn parse_fingerprint(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        return Err(Invalid::ViewerIdInAcl(t.to_string()));
    }
    let chars: String = t
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let groups_ok = t
        .split('-')
        .all(|g| g.len() == 4 || t.split('-').count() == 1);
    if chars.len() != 16 || !groups_ok || !chars.chars().all(|c| matches!(c, 'A'..='Z' | '2'..='7'))
    {
        return Err(Invalid::BadFingerprint(text.chars().take(64).collect()));
    }
    let groups: Vec<&str> = (0..4).map(|i| &chars[i * 4..i * 4 + 4]).collect();
    Ok(groups.join("-"))
}

impl AccessList {
    /// The entry of `fingerprint` (canonical form), if any.
    pub fn get(&self, fingerprint: &str) -> Option<&AclEntry> {
        self.entries.iter().find(|e| e.fingerprint == fingerprint)
    }

    /// Add a viewer, or replace the profile limits of one already listed.
    /// Returns the entry as stored.
    pub fn add(&mut self, fingerprint: &str, profiles: &[String]) -> Result<AclEntry, Invalid> {
        let fingerprint = parse_fingerprint(fingerprint)?;
        let mut profiles: Vec<String> = profiles.to_vec();
        profiles.sort();
        profiles.dedup();
        let entry = AclEntry {
            fingerprint: fingerprint.clone(),
            profiles,
        };
        match self
            .entries
            .iter_mut()
            .find(|e| e.fingerprint == fingerprint)
        {
            Some(e) => *e = entry.clone(),
            None => self.entries.push(entry.clone()),
        }
        Ok(entry)
    }

    /// Remove a viewer; [`Invalid::NotOnAcl`] when it is not listed.
    pub fn remove(&mut self, fingerprint: &str) -> Result<AclEntry, Invalid> {
        let fingerprint = parse_fingerprint(fingerprint)?;
        let idx = self
            .entries
            .iter()
            .position(|e| e.fingerprint == fingerprint)
            .ok_or_else(|| Invalid::NotOnAcl(fingerprint.clone()))?;
        Ok(self.entries.remove(idx))
    }

    /// Follow a profile rename.
    pub fn rename_profile(&mut self, from: &str, to: &str) {
        for e in &mut self.entries {
            for p in e.profiles.iter_mut().filter(|p| *p == from) {
                *p = to.to_string();
            }
        }
    }

    /// Follow a profile deletion: an entry limited to that profile alone can
    /// reach nothing any more and is dropped (an empty list would mean "any").
    pub fn remove_profile(&mut self, name: &str) {
        self.entries.retain_mut(|e| {
            if e.profiles.is_empty() {
                return true;
            }
            e.profiles.retain(|p| p != name);
            !e.profiles.is_empty()
        });
    }

    /// The decision: may `viewer` ask for `profile`? Always yes while the list is off.
    pub fn check(&self, viewer: &DevicePublicKey, profile: &str) -> Result<(), AclRefusal> {
        if !self.enabled {
            return Ok(());
        }
        let entry = self
            .get(&viewer.fingerprint())
            .ok_or(AclRefusal::NotListed)?;
        if entry.profiles.is_empty() || entry.profiles.iter().any(|p| p == profile) {
            Ok(())
        } else {
            Err(AclRefusal::ProfileNotAllowed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_canonical_or_refused() {
        assert_eq!(
            parse_fingerprint("abcd-efgh-ijkl-mnop").expect("ok"),
            "ABCD-EFGH-IJKL-MNOP"
        );
        assert_eq!(
            parse_fingerprint(" ABCDEFGHIJKLMN27 ").expect("ok"),
            "ABCD-EFGH-IJKL-MN27"
        );
        for bad in [
            "",
            "ABCD-EFGH-IJKL",
            "ABCD-EFGH-IJKL-MNOP-QRST",
            "ABCD-EFGH-IJKL-MNO1",
            "AB-CDEFGH-IJKL-MNOP",
            "ABCD_EFGH_IJKL_MNOP",
        ] {
            assert!(
                matches!(parse_fingerprint(bad), Err(Invalid::BadFingerprint(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_fingerprint("123 456 789"),
            Err(Invalid::ViewerIdInAcl(_))
        ));
    }
}
