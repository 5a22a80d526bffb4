//! Who may get in and how: the interactive mode, whether viewers may save
//! logins, and unattended access per profile.

use serde::{Deserialize, Serialize};

use latchkey_core::audit::AuditEvent;
use latchkey_core::settings::InteractiveMode;

use super::Operation;
use crate::{Config, Error};

/// Turn unattended access on or off for a profile (off ends its tokens).
/// Returns the profile's name.
pub fn set_unattended(
    config: &mut Config,
    profile: Option<&str>,
    on: bool,
) -> Result<String, Error> {
    let name = config.settings().profile_name(profile)?;
    config.update(|s, _| {
        let revoked = s.set_unattended(&name, on)?;
        Ok((
            name.clone(),
            vec![AuditEvent::UnattendedChanged {
                profile: name.clone(),
                on,
                tokens_revoked: revoked,
            }],
        ))
    })
}

/// Allow or stop new saved logins (existing tokens keep working).
pub fn set_save_login(config: &mut Config, on: bool) -> Result<(), Error> {
    config.update(|s, _| {
        s.save_login = on;
        Ok(((), vec![AuditEvent::SaveLoginChanged { on }]))
    })
}

/// Set the interactive mode.
pub fn set_interactive(config: &mut Config, mode: InteractiveMode) -> Result<(), Error> {
    config.update(|s, _| {
        s.interactive = mode;
        Ok((
            (),
            vec![AuditEvent::InteractiveChanged {
                mode: mode.name().into(),
            }],
        ))
    })
}

/// Set the interactive mode ([`set_interactive`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetInteractive {
    /// Always, window or never.
    pub mode: InteractiveMode,
}

impl Operation for SetInteractive {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_interactive(config, self.mode)
    }
}

/// Allow saving login information ([`set_save_login`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSaveLogin {
    /// On or off.
    pub on: bool,
}

impl Operation for SetSaveLogin {
    type Output = ();
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<(), Error> {
        set_save_login(config, self.on)
    }
}

/// Unattended access for a profile ([`set_unattended`]); returns its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetUnattended {
    /// The profile.
    pub profile: String,
    /// On or off.
    pub on: bool,
}

impl Operation for SetUnattended {
    type Output = String;
    const CHANGES: bool = true;
    fn apply(self, config: &mut Config) -> Result<String, Error> {
        set_unattended(config, Some(&self.profile), self.on)
    }
}
