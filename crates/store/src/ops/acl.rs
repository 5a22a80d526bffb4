//! The access control list: which viewers may ask at all, and for which profiles.

use serde::{Deserialize, Serialize};

use latchkey_core::acl::{AccessList, AclEntry};
use latchkey_core::audit::AuditEvent;

use super::Operation;
use crate::{Config, Error};

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

/// Read the access control list ([`acl_list`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAcl {}

impl Operation for ListAcl {
    type Output = AccessList;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<AccessList, Error> {
        Ok(acl_list(config))
    }
}

/// Put a viewer on the access control list ([`acl_add`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddAclEntry {
    /// Its key fingerprint.
    pub fingerprint: String,
    /// The profiles it may ask for (none: any).
    #[serde(default)]
    pub profiles: Vec<String>,
}

impl Operation for AddAclEntry {
    type Output = AclEntry;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<AclEntry, Error> {
        acl_add(config, &self.fingerprint, &self.profiles)
    }
}

/// Take a viewer off the access control list ([`acl_remove`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveAclEntry {
    /// Its key fingerprint.
    pub fingerprint: String,
}

impl Operation for RemoveAclEntry {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        acl_remove(config, &self.fingerprint)
    }
}

/// Turn the access control list on or off ([`set_acl_enabled`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAcl {
    /// On or off.
    pub on: bool,
}

impl Operation for SetAcl {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_acl_enabled(config, self.on)
    }
}
