//! Permission profiles: show, create (optionally copying another), rename,
//! delete, enable, grant or withdraw permissions, choose the default.

use serde::{Deserialize, Serialize};

use latchkey_core::audit::AuditEvent;
use latchkey_core::feature::tunnel::Destinations;
use latchkey_core::permission::Permission;
use latchkey_core::settings::ProfileSummary;

use super::Operation;
use crate::{Config, Error};

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

/// Where a profile's TCP tunnels may lead: `any`, `none`, or
/// comma-separated `HOST[:PORT]` patterns (see `latchkey_core::feature::tunnel`).
pub fn set_tunnel_destinations(
    config: &mut Config,
    name: &str,
    destinations: &str,
) -> Result<Destinations, Error> {
    let parsed = Destinations::parse_list(destinations)
        .map_err(|e| latchkey_core::Invalid::BadTunnelDestinations(e.to_string()))?;
    config.update(|s, _| {
        s.set_tunnel_destinations(name, parsed.clone())?;
        Ok((
            parsed.clone(),
            vec![AuditEvent::TunnelDestinationsChanged {
                profile: name.into(),
                destinations: parsed.to_list(),
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

/// Read one profile ([`show_profile`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowProfile {
    /// Its name.
    pub name: String,
}

impl Operation for ShowProfile {
    type Output = ProfileSummary;
    const CHANGES: bool = false;
    fn apply(self, config: &mut Config) -> Result<ProfileSummary, Error> {
        show_profile(config, &self.name)
    }
}

/// A new profile ([`create_profile`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProfile {
    /// Its name.
    pub name: String,
    /// A profile to copy.
    pub copy_from: Option<String>,
}

impl Operation for CreateProfile {
    type Output = ProfileSummary;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<ProfileSummary, Error> {
        create_profile(config, &self.name, self.copy_from.as_deref())
    }
}

/// Rename a profile ([`rename_profile`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameProfile {
    /// Now.
    pub name: String,
    /// Then.
    pub new_name: String,
}

impl Operation for RenameProfile {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        rename_profile(config, &self.name, &self.new_name)
    }
}

/// Delete a profile ([`delete_profile`]); returns how many tokens died.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteProfile {
    /// Its name.
    pub name: String,
}

impl Operation for DeleteProfile {
    type Output = usize;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<usize, Error> {
        delete_profile(config, &self.name)
    }
}

/// Enable or disable a profile ([`set_profile_enabled`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetProfileEnabled {
    /// Its name.
    pub name: String,
    /// On or off.
    pub enabled: bool,
}

impl Operation for SetProfileEnabled {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_profile_enabled(config, &self.name, self.enabled)
    }
}

/// Grant or withdraw a permission ([`set_permission`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPermission {
    /// The profile.
    pub profile: String,
    /// The permission's name.
    pub permission: String,
    /// Granted or not.
    pub on: bool,
}

impl Operation for SetPermission {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_permission(config, &self.profile, &self.permission, self.on)
    }
}

/// Where a profile's tunnels may lead ([`set_tunnel_destinations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetTunnelDestinations {
    /// The profile.
    pub profile: String,
    /// `any`, `none`, or comma-separated patterns.
    pub destinations: String,
}

impl Operation for SetTunnelDestinations {
    type Output = Destinations;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<Destinations, Error> {
        set_tunnel_destinations(config, &self.profile, &self.destinations)
    }
}

/// The default profile ([`set_default_profile`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDefaultProfile {
    /// Its name.
    pub name: String,
}

impl Operation for SetDefaultProfile {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_default_profile(config, &self.name)
    }
}
