//! Permission profiles: a name, an enabled flag, a permission set, unattended
//! access with its own password record, and a password epoch that moves every
//! time the password is set or cleared (which kills the profile's tokens).

use serde::{Deserialize, Serialize};

use crate::feature::tunnel::Destinations;
use crate::pake::PasswordRecord;
use crate::permission::{Permission, PermissionSet};
use crate::Invalid;

/// Names of the built-in profiles, in display order.
pub const BUILTIN_NAMES: [&str; 4] = ["default", "full_access", "screen_sharing", "unattended"];

/// One permission profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// 1 to 32 of `a-z 0-9 _ -`; unique.
    pub name: String,
    /// Built-ins can be edited and disabled, never renamed or deleted.
    pub builtin: bool,
    /// A disabled profile cannot be granted and its password stops working.
    pub enabled: bool,
    /// What a session under this profile may do.
    pub permissions: PermissionSet,
    /// Whether this profile's password opens sessions with nobody at the host.
    pub unattended: bool,
    /// The OPAQUE registration record of this profile's password, if one is set.
    pub password: Option<PasswordRecord>,
    /// Moves on every password set or clear and when unattended access turns off;
    /// tokens issued under an older epoch die.
    pub epoch: u64,
    /// Where this profile's TCP tunnels may lead (`tcp_tunnel`): anywhere
    /// unless the owner lists destinations.
    #[serde(default)]
    pub tunnel_destinations: Destinations,
}

impl Profile {
    fn new(name: &str, builtin: bool, permissions: PermissionSet) -> Self {
        Profile {
            name: name.to_string(),
            builtin,
            enabled: true,
            permissions,
            unattended: false,
            password: None,
            epoch: 0,
            tunnel_destinations: Destinations::Any,
        }
    }

    /// Whether a password is set.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Whether this profile's password may open an unattended session right now.
    pub fn accepts_unattended(&self) -> bool {
        self.enabled && self.unattended && self.password.is_some()
    }
}

/// The default permission set: everything but privacy mode and TCP tunnels.
pub fn default_permissions() -> PermissionSet {
    PermissionSet::all()
        .without(Permission::PrivacyMode)
        .without(Permission::TcpTunnel)
}

/// The four built-in profiles as a fresh install has them.
pub fn builtin_profiles() -> Vec<Profile> {
    vec![
        Profile::new("default", true, default_permissions()),
        Profile::new("full_access", true, PermissionSet::all()),
        Profile::new("screen_sharing", true, PermissionSet::NONE),
        Profile::new("unattended", true, default_permissions()),
    ]
}

/// Check a profile name: 1 to 32 of `a-z 0-9 _ -`.
pub fn validate_name(name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Invalid::BadProfileName(name.to_string()))
    }
}

/// The ordered list of profiles, with the editing rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Profiles(Vec<Profile>);

impl Default for Profiles {
    fn default() -> Self {
        Profiles(builtin_profiles())
    }
}

impl Profiles {
    /// Wrap a list read from storage, checking names are valid and unique and built-ins present.
    pub fn from_list(list: Vec<Profile>) -> Result<Self, crate::Error> {
        for (i, p) in list.iter().enumerate() {
            validate_name(&p.name).map_err(|e| crate::Error::corrupt(e.to_string()))?;
            if list[..i].iter().any(|q| q.name == p.name) {
                return Err(crate::Error::corrupt(format!(
                    "profile '{}' appears twice",
                    p.name
                )));
            }
            if p.builtin != BUILTIN_NAMES.contains(&p.name.as_str()) {
                return Err(crate::Error::corrupt(format!(
                    "profile '{}' has a wrong built-in flag",
                    p.name
                )));
            }
        }
        for b in BUILTIN_NAMES {
            if !list.iter().any(|p| p.name == b) {
                return Err(crate::Error::corrupt(format!(
                    "built-in profile '{b}' is missing"
                )));
            }
        }
        Ok(Profiles(list))
    }

    /// All profiles in order.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.0.iter()
    }

    /// The profile named `name`.
    pub fn get(&self, name: &str) -> Result<&Profile, Invalid> {
        self.0
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Invalid::UnknownProfile(name.to_string()))
    }

    /// The profile named `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Result<&mut Profile, Invalid> {
        self.0
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| Invalid::UnknownProfile(name.to_string()))
    }

    fn ensure_free(&self, name: &str) -> Result<(), Invalid> {
        validate_name(name)?;
        if self.0.iter().any(|p| p.name == name) {
            return Err(Invalid::ProfileExists(name.to_string()));
        }
        Ok(())
    }

    /// A new user profile. Without `from` it grants nothing (view only); with it, it
    /// copies that profile's permissions, enabled flag and tunnel destinations, but never its password:
    /// a copy starts with unattended access off.
    pub fn create(&mut self, name: &str, from: Option<&str>) -> Result<&Profile, Invalid> {
        self.ensure_free(name)?;
        let mut profile = Profile::new(name, false, PermissionSet::NONE);
        if let Some(src) = from {
            let src = self.get(src)?;
            profile.permissions = src.permissions;
            profile.enabled = src.enabled;
            profile.tunnel_destinations = src.tunnel_destinations.clone();
        }
        self.0.push(profile);
        Ok(&self.0[self.0.len() - 1])
    }

    /// Rename a user profile.
    pub fn rename(&mut self, name: &str, new_name: &str) -> Result<(), Invalid> {
        if self.get(name)?.builtin {
            return Err(Invalid::BuiltinProfile(name.to_string(), "renamed"));
        }
        self.ensure_free(new_name)?;
        self.get_mut(name)?.name = new_name.to_string();
        Ok(())
    }

    /// Delete a user profile.
    pub fn delete(&mut self, name: &str) -> Result<Profile, Invalid> {
        if self.get(name)?.builtin {
            return Err(Invalid::BuiltinProfile(name.to_string(), "deleted"));
        }
        let idx = self
            .0
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| Invalid::UnknownProfile(name.to_string()))?;
        Ok(self.0.remove(idx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_have_the_designed_sets() {
        let p = Profiles::default();
        let names: Vec<_> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, BUILTIN_NAMES);
        let default = p.get("default").expect("built-in");
        assert_eq!(default.permissions.len(), 12);
        assert!(!default.permissions.contains(Permission::PrivacyMode));
        assert!(!default.permissions.contains(Permission::TcpTunnel));
        assert_eq!(
            p.get("full_access").expect("built-in").permissions,
            PermissionSet::all()
        );
        assert!(p
            .get("screen_sharing")
            .expect("built-in")
            .permissions
            .is_empty());
        assert_eq!(
            p.get("unattended").expect("built-in").permissions,
            default.permissions
        );
        assert!(p
            .iter()
            .all(|p| p.enabled && !p.unattended && p.password.is_none()));
    }

    #[test]
    fn names_are_checked() {
        for good in ["a", "support-team", "x_1", &"z".repeat(32)] {
            assert_eq!(validate_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Admin",
            "with space",
            "é",
            "a/b",
            &"z".repeat(33),
            "dot.name",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn create_copy_rename_delete() {
        let mut p = Profiles::default();
        let created = p.create("helpdesk", None).expect("create").clone();
        assert!(created.permissions.is_empty() && !created.builtin && !created.unattended);
        assert_eq!(
            p.create("helpdesk", None),
            Err(Invalid::ProfileExists("helpdesk".into()))
        );
        assert_eq!(
            p.create("Bad Name", None),
            Err(Invalid::BadProfileName("Bad Name".into()))
        );
        assert_eq!(
            p.create("x", Some("nope")),
            Err(Invalid::UnknownProfile("nope".into()))
        );
        let copy = p
            .create("admins", Some("full_access"))
            .expect("copy")
            .clone();
        assert_eq!(copy.permissions, PermissionSet::all());
        assert!(!copy.builtin);
        p.rename("admins", "admins2").expect("rename");
        assert!(p.get("admins").is_err());
        assert_eq!(
            p.rename("helpdesk", "admins2"),
            Err(Invalid::ProfileExists("admins2".into()))
        );
        assert_eq!(
            p.rename("default", "main"),
            Err(Invalid::BuiltinProfile("default".into(), "renamed"))
        );
        assert_eq!(
            p.delete("full_access").map(|_| ()),
            Err(Invalid::BuiltinProfile("full_access".into(), "deleted"))
        );
        assert_eq!(p.delete("admins2").expect("delete").name, "admins2");
        assert_eq!(
            p.delete("admins2").map(|_| ()),
            Err(Invalid::UnknownProfile("admins2".into()))
        );
    }

    #[test]
    fn copy_never_carries_the_password() {
        let mut p = Profiles::default();
        {
            let full = p.get_mut("full_access").expect("built-in");
            full.unattended = true;
            full.epoch = 5;
        }
        let copy = p.create("copy", Some("full_access")).expect("copy");
        assert!(!copy.unattended && copy.password.is_none() && copy.epoch == 0);
    }

    #[test]
    fn from_list_rejects_damage() {
        let mut list = builtin_profiles();
        assert!(Profiles::from_list(list.clone()).is_ok());
        list.push(list[0].clone());
        assert!(Profiles::from_list(list.clone()).is_err());
        list.pop();
        list.remove(2);
        assert!(Profiles::from_list(list).is_err());
    }
}
