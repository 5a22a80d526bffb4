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
    /// The profile's password epoch when the record was read: the login is
    /// granted (and a token issued) only if it has not moved by then.
    pub epoch: u64,
}

/// Pick the record for a password login.
pub fn password_target(settings: &Settings, requested: Option<&str>) -> PasswordTarget {
    let name = requested.unwrap_or(&settings.default_profile).to_string();
    let profile = settings.profiles.get(&name).ok();
    let record = profile
        .filter(|p| p.accepts_unattended())
        .and_then(|p| p.password.clone());
    PasswordTarget {
        epoch: profile.map_or(0, |p| p.epoch),
        profile: name,
        record,
    }
}

/// Whether a password login checked against `target` may still be granted
/// under `settings` (re-read at the end of the login): the profile still takes
/// unattended logins and its password was not set meanwhile.
pub fn password_still_current(settings: &Settings, target: &PasswordTarget) -> bool {
    settings
        .profiles
        .get(&target.profile)
        .is_ok_and(|p| p.accepts_unattended() && p.epoch == target.epoch)
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

/// Use a reconnect credential (see [`crate::reconnect`]): on success it is
/// gone from `settings` (single use).
pub fn check_reconnect(
    settings: &mut Settings,
    credential: &Token,
    device_key: &DevicePublicKey,
    now: UnixTime,
) -> Result<crate::reconnect::Reconnected, crate::reconnect::ReconnectRefusal> {
    settings
        .reconnects
        .take(credential, device_key, &settings.profiles, now)
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

/// What an open session logged in with: when that is revoked, the session ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCredential {
    /// The granted profile.
    pub profile: String,
    /// How the session was granted.
    pub method: crate::handshake::Method,
    /// The profile's password epoch the login was checked at.
    pub epoch: u64,
    /// For token logins: the token's id.
    pub token_id: Option<String>,
    /// Whether the person at the host let it in (accepted it, or accepted
    /// the session whose restart it reconnects after): it then lives on
    /// until its profile is disabled, whatever happens to unattended access.
    pub attended: bool,
}

/// Why an open session must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    /// The profile was deleted (or renamed).
    ProfileGone,
    /// The profile was disabled.
    ProfileDisabled,
    /// The profile's password was set (or cleared) since the login.
    PasswordChanged,
    /// Unattended access was turned off on the profile.
    UnattendedOff,
    /// The token the session logged in with was revoked or cleared.
    TokenRevoked,
}

impl Revoked {
    /// The shared name (audit log, the viewer's message).
    pub fn name(self) -> &'static str {
        match self {
            Revoked::ProfileGone => "profile_gone",
            Revoked::ProfileDisabled => "profile_disabled",
            Revoked::PasswordChanged => "password_changed",
            Revoked::UnattendedOff => "unattended_off",
            Revoked::TokenRevoked => "token_revoked",
        }
    }
}

/// Whether what `credential` logged in with still holds under `settings`.
/// Disabling (or deleting) the profile ends every session on it; a password
/// set or unattended access turned off ends the sessions that logged in
/// unattended (by password or token); revoking or clearing a token ends the
/// sessions that logged in with it. A session the person at the host accepted
/// lives on until its profile is disabled.
pub fn session_revoked(settings: &Settings, credential: &SessionCredential) -> Option<Revoked> {
    use crate::handshake::Method;
    let Ok(profile) = settings.profiles.get(&credential.profile) else {
        return Some(Revoked::ProfileGone);
    };
    if !profile.enabled {
        return Some(Revoked::ProfileDisabled);
    }
    if credential.attended || credential.method == Method::Accepted {
        return None;
    }
    if !profile.accepts_unattended() {
        return Some(Revoked::UnattendedOff);
    }
    if profile.epoch != credential.epoch {
        return Some(Revoked::PasswordChanged);
    }
    match &credential.token_id {
        Some(id) if !settings.tokens.contains_id(id) => Some(Revoked::TokenRevoked),
        _ => None,
    }
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

    #[test]
    fn revocation_ends_the_sessions_it_concerns() {
        use crate::handshake::Method;
        let mut rng = StdRng::seed_from_u64(7);
        let mut s = settings();
        let record = s
            .profiles
            .get("default")
            .expect("p")
            .password
            .clone()
            .expect("pw");
        s.set_unattended("default", true).expect("on");
        s.save_login = true;
        let key = crate::identity::DeviceKey::generate(&mut rng).public();
        let epoch = s.profiles.get("default").expect("p").epoch;
        let (_token, issued) = s
            .issue_token(key, "default", epoch, "pc", crate::UnixTime(1), &mut rng)
            .expect("issue");
        let by = |method, token_id: Option<String>| SessionCredential {
            attended: method == Method::Accepted,
            profile: "default".into(),
            method,
            epoch,
            token_id,
        };
        let password = by(Method::Password, None);
        let token = by(Method::Token, Some(issued.id.clone()));
        let accepted = by(Method::Accepted, None);
        for c in [&password, &token, &accepted] {
            assert_eq!(session_revoked(&s, c), None);
        }
        // Clearing the tokens ends only the token session.
        let mut cleared = s.clone();
        cleared.tokens.clear();
        assert_eq!(
            session_revoked(&cleared, &token),
            Some(Revoked::TokenRevoked)
        );
        assert_eq!(session_revoked(&cleared, &password), None);
        // A password set ends the unattended ones, not the accepted one.
        let mut reset = s.clone();
        reset.set_password("default", record).expect("again");
        assert_eq!(
            session_revoked(&reset, &password),
            Some(Revoked::PasswordChanged)
        );
        assert_eq!(
            session_revoked(&reset, &token),
            Some(Revoked::PasswordChanged)
        );
        assert_eq!(session_revoked(&reset, &accepted), None);
        // Unattended off likewise.
        let mut off = s.clone();
        off.set_unattended("default", false).expect("off");
        assert_eq!(
            session_revoked(&off, &password),
            Some(Revoked::UnattendedOff)
        );
        assert_eq!(session_revoked(&off, &accepted), None);
        // Disabled or gone: every session on it.
        let mut disabled = s.clone();
        disabled.profiles.get_mut("default").expect("p").enabled = false;
        for c in [&password, &token, &accepted] {
            assert_eq!(
                session_revoked(&disabled, c),
                Some(Revoked::ProfileDisabled)
            );
        }
        let gone = SessionCredential {
            profile: "ghost".into(),
            ..accepted.clone()
        };
        assert_eq!(session_revoked(&s, &gone), Some(Revoked::ProfileGone));
    }
}
