//! The access decision of DESIGN §2 as pure functions over the settings: the
//! session layer calls them with fresh settings for every request (so changes
//! made with the CLI apply to the next request) and persists what they change.

use crate::acl::AclRefusal;
use crate::identity::DevicePublicKey;
use crate::pake::PasswordRecord;
use crate::permission::{Permission, PermissionSet};
use crate::settings::{InteractiveMode, Settings};
use crate::token::{Token, TokenRefusal};
use crate::totp::{CodeRefusal, LoginKind, SecondFactorUsed, TotpSecret};
use crate::{Invalid, UnixTime};

/// What a password login will be checked against.
#[derive(Debug, Clone)]
pub struct PasswordTarget {
    /// The profile the viewer asked for (or the default).
    pub profile: String,
    /// Its record, only when that profile takes unattended logins right now
    /// (enabled, unattended on, password set). `None` still runs OPAQUE with a
    /// fake record, so the viewer cannot tell which of these failed.
    pub record: Option<PasswordRecord>,
}

/// Pick the record for a password login.
pub fn password_target(settings: &Settings, requested: Option<&str>) -> PasswordTarget {
    let name = requested.unwrap_or(&settings.default_profile).to_string();
    let record = settings
        .profiles
        .get(&name)
        .ok()
        .filter(|p| p.accepts_unattended())
        .and_then(|p| p.password.clone());
    PasswordTarget {
        profile: name,
        record,
    }
}

/// The access control list's verdict, taken before any credential is looked
/// at: may `viewer` ask for `profile` (the one asked for, the default, or the
/// one a token logs into)? `None` when the profile is not known yet (a token
/// that does not verify): then only the key must be listed.
pub fn acl_check(
    settings: &Settings,
    viewer: &DevicePublicKey,
    profile: Option<&str>,
) -> Result<(), AclRefusal> {
    match profile {
        Some(p) => settings.acl.check(viewer, p),
        None => match settings.acl.check(viewer, &settings.default_profile) {
            Err(AclRefusal::ProfileNotAllowed) => Ok(()),
            other => other,
        },
    }
}

/// Check a token; on success it is marked used and its profile returned.
pub fn check_token(
    settings: &mut Settings,
    token: &Token,
    device_key: &DevicePublicKey,
    now: UnixTime,
) -> Result<String, TokenRefusal> {
    settings
        .tokens
        .verify(token, device_key, &settings.profiles, now)
}

/// Whether a login of `kind` needs a second factor.
pub fn needs_second_factor(settings: &Settings, kind: LoginKind) -> bool {
    settings.two_factor.applies_to(kind)
}

/// Check a second factor; records the used step or spends the recovery code.
pub fn check_second_factor(
    settings: &mut Settings,
    secret: &TotpSecret,
    code: &str,
    now: UnixTime,
) -> Result<SecondFactorUsed, CodeRefusal> {
    settings.two_factor.verify(secret, code, now)
}

/// What to do with a request that carries no credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskDecision {
    /// Show the accept window.
    Ask,
    /// Refuse at once.
    Refuse,
}

/// The interactive mode's verdict: `always` asks, `window` asks only while the
/// main window is open, `never` refuses (exclusive unattended access).
pub fn interactive_decision(mode: InteractiveMode, window_open: bool) -> AskDecision {
    match mode {
        InteractiveMode::Always => AskDecision::Ask,
        InteractiveMode::Window if window_open => AskDecision::Ask,
        InteractiveMode::Window | InteractiveMode::Never => AskDecision::Refuse,
    }
}

/// What the person accepting grants: an enabled profile's permissions, minus
/// any they withdraw (they can only lower, never add).
pub fn accepted_grant(
    settings: &Settings,
    profile: &str,
    withdraw: &[Permission],
) -> Result<PermissionSet, Invalid> {
    let p = settings.profiles.get(profile)?;
    if !p.enabled {
        return Err(Invalid::ProfileDisabled(profile.to_string()));
    }
    Ok(withdraw
        .iter()
        .fold(p.permissions, |set, perm| set.without(*perm)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pake::KsfParams;
    use crate::settings::SecretStoreKind;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn settings() -> Settings {
        let mut s = Settings::new(SecretStoreKind::File, &mut StdRng::seed_from_u64(1));
        let record = PasswordRecord {
            credential_id: vec![1; 16],
            registration: vec![2; 4],
            ksf: KsfParams::DEFAULT,
        };
        s.set_password("default", record).expect("set");
        s
    }

    #[test]
    fn password_target_only_for_unattended_enabled_profiles() {
        let mut s = settings();
        assert!(password_target(&s, None).record.is_none(), "unattended off");
        s.set_unattended("default", true).expect("on");
        assert!(password_target(&s, None).record.is_some());
        assert!(
            password_target(&s, Some("full_access")).record.is_none(),
            "no password there"
        );
        assert!(password_target(&s, Some("ghost")).record.is_none());
        s.profiles.get_mut("default").expect("p").enabled = false;
        assert!(password_target(&s, None).record.is_none(), "disabled");
    }

    #[test]
    fn acl_refuses_unlisted_keys_and_other_profiles_only_when_on() {
        use crate::identity::DeviceKey;
        let mut s = settings();
        let listed = DeviceKey::generate(&mut StdRng::seed_from_u64(2)).public();
        let limited = DeviceKey::generate(&mut StdRng::seed_from_u64(3)).public();
        let stranger = DeviceKey::generate(&mut StdRng::seed_from_u64(4)).public();
        s.acl.add(&listed.fingerprint(), &[]).expect("add");
        s.acl
            .add(
                &limited.fingerprint().to_lowercase(),
                &["screen_sharing".into()],
            )
            .expect("add");
        // Off: everyone may ask.
        assert_eq!(acl_check(&s, &stranger, Some("default")), Ok(()));
        s.acl.enabled = true;
        assert_eq!(acl_check(&s, &listed, Some("full_access")), Ok(()));
        assert_eq!(acl_check(&s, &listed, None), Ok(()));
        assert_eq!(
            acl_check(&s, &stranger, Some("default")),
            Err(AclRefusal::NotListed)
        );
        assert_eq!(acl_check(&s, &stranger, None), Err(AclRefusal::NotListed));
        assert_eq!(acl_check(&s, &limited, Some("screen_sharing")), Ok(()));
        assert_eq!(
            acl_check(&s, &limited, Some("default")),
            Err(AclRefusal::ProfileNotAllowed)
        );
        // A token whose profile is not known yet: the key alone decides.
        assert_eq!(acl_check(&s, &limited, None), Ok(()));
        // Renames follow; deleting its only profile drops the entry.
        s.profiles.create("ops", Some("default")).expect("create");
        s.acl
            .add(&limited.fingerprint(), &["ops".into()])
            .expect("replace");
        s.rename_profile("ops", "ops2").expect("rename");
        assert_eq!(acl_check(&s, &limited, Some("ops2")), Ok(()));
        s.delete_profile("ops2").expect("delete");
        assert_eq!(
            acl_check(&s, &limited, Some("ops2")),
            Err(AclRefusal::NotListed)
        );
        assert_eq!(acl_check(&s, &listed, Some("default")), Ok(()));
    }

    #[test]
    fn interactive_modes() {
        use InteractiveMode::*;
        assert_eq!(interactive_decision(Always, false), AskDecision::Ask);
        assert_eq!(interactive_decision(Window, true), AskDecision::Ask);
        assert_eq!(interactive_decision(Window, false), AskDecision::Refuse);
        assert_eq!(interactive_decision(Never, true), AskDecision::Refuse);
    }

    #[test]
    fn acceptance_can_only_lower() {
        let mut s = settings();
        let full = accepted_grant(&s, "full_access", &[]).expect("grant");
        assert_eq!(full, PermissionSet::all());
        let lowered = accepted_grant(&s, "default", &[Permission::ControlInput]).expect("grant");
        assert!(!lowered.contains(Permission::ControlInput) && lowered.len() == 11);
        s.set_enabled("full_access", false).expect("disable");
        assert!(accepted_grant(&s, "full_access", &[]).is_err());
    }
}
