//! Every path of DESIGN §2, a host and a viewer machine against each other.

use super::harness::*;
use crate::handshake::host::{HostInput, HostOutcome, PersonDecision, WaitingRequests};
use crate::handshake::viewer::{Credential, ViewerOutcome};
use crate::handshake::{DenialCode, HandshakeError, HostMessage, Method, ViewerMessage};
use crate::permission::{Permission, PermissionSet};
use crate::settings::InteractiveMode;
use crate::throttle::{Throttle, ThrottlePolicy};
use crate::totp::TotpSecret;
use crate::UnixTime;
use rand::rngs::StdRng;
use rand::SeedableRng;
use zeroize::Zeroizing;

fn denied(v: &ViewerSide) -> DenialCode {
    match &v.outcome {
        Some(ViewerOutcome::Denied { code, .. }) => *code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn granted(h: &HostSide, v: &ViewerSide) -> (Method, String, PermissionSet) {
    let Some(HostOutcome::Granted(grant)) = &h.outcome else {
        panic!("host: {:?}, viewer: {:?}", h.outcome, v.outcome);
    };
    let Some(ViewerOutcome::Granted(seen)) = &v.outcome else {
        panic!("viewer: {:?}", v.outcome);
    };
    assert_eq!(grant.profile, seen.profile);
    assert_eq!(grant.permissions, seen.permissions);
    assert_eq!(grant.credential.method, seen.method);
    assert_eq!(grant.viewer, v.key.public());
    (seen.method, seen.profile.clone(), seen.permissions)
}

fn reason(h: &HostSide) -> String {
    h.decision_audited().3.unwrap_or_default()
}

/// A token the `default` profile issued to the viewer with key `seed`.
fn issued_token(store: FakeStore, seed: u64) -> (FakeStore, String) {
    let mut store = store;
    store.settings.save_login = true;
    let (h, v) = handshake(store, viewer(password(PASSWORD, true), seed));
    granted(&h, &v);
    let token = v.saved_token.clone().expect("a token was saved");
    (h.store, token)
}

fn with_two_factor(mut store: FakeStore) -> (FakeStore, TotpSecret) {
    let secret = TotpSecret::generate(&mut StdRng::seed_from_u64(5));
    store.settings.two_factor.enabled = true;
    store.totp = Some(secret.clone());
    (store, secret)
}

fn code_now(secret: &TotpSecret, now: UnixTime) -> String {
    secret.code_at_step(now.0 / 30).expect("code")
}

// --- password --------------------------------------------------------------

#[test]
fn password_login_is_granted_with_the_profile_permissions() {
    let store = store();
    let expected = store
        .settings
        .profiles
        .get("default")
        .expect("p")
        .permissions;
    let (h, v) = handshake(store, viewer(password(PASSWORD, false), 10));
    let (method, profile, perms) = granted(&h, &v);
    assert_eq!(
        (method, profile.as_str(), perms),
        (Method::Password, "default", expected)
    );
    let Some(HostOutcome::Granted(grant)) = &h.outcome else {
        unreachable!()
    };
    assert_eq!(grant.credential.token_id, None);
    assert_eq!(
        grant.credential.epoch,
        h.store.settings.profiles.get("default").expect("p").epoch
    );
    assert_eq!(
        h.decision_audited(),
        (
            "password".into(),
            Some("default".into()),
            "granted".into(),
            None
        )
    );
    assert!(v.saved_token.is_none(), "no token unless asked for");
    assert_eq!(h.throttle.pending(), 0, "the attempt was handed back");
}

#[test]
fn wrong_password_is_refused_and_counted() {
    let (h, v) = handshake(store(), viewer(password("not the password", false), 10));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert!(matches!(v.sent.last(), Some(ViewerMessage::Abort { .. })));
    assert!(matches!(h.outcome, Some(HostOutcome::Refused)));
    assert_eq!(
        reason(&h),
        "wrong password, or unattended access off for this profile"
    );
    assert_eq!(
        h.throttle.tracked(),
        (1, 1),
        "one failure per key and address"
    );
    assert_eq!(h.throttle.pending(), 0);
    assert!(h.counters_saved >= 2, "the guess and the failure are saved");
}

#[test]
fn unattended_off_and_disabled_profile_refuse_the_password_alike() {
    for change in [
        (|s: &mut crate::settings::Settings| {
            s.set_unattended("default", false).expect("off");
        }) as fn(&mut crate::settings::Settings),
        |s| s.profiles.get_mut("default").expect("p").enabled = false,
    ] {
        let mut store = store();
        change(&mut store.settings);
        let (h, v) = handshake(store, viewer(password(PASSWORD, false), 10));
        assert_eq!(
            denied(&v),
            DenialCode::WrongCredentials,
            "not distinguished"
        );
        assert_eq!(
            reason(&h),
            "wrong password, or unattended access off for this profile"
        );
        // OPAQUE still ran against a fake record: the viewer cannot tell.
        assert!(h
            .sent
            .iter()
            .any(|m| matches!(m, HostMessage::PasswordChallenge { .. })));
    }
}

#[test]
fn password_set_during_the_login_grants_nothing_and_issues_no_token() {
    let mut store = store();
    store.settings.save_login = true;
    // The first read picks the record; the second (at the finish) sees a new password.
    store.change_on_read = Some((
        1,
        Box::new(|s| {
            s.set_password("default", other_record()).expect("set");
        }),
    ));
    let (h, v) = handshake(store, viewer(password(PASSWORD, true), 10));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "the password changed during this login");
    assert!(v.saved_token.is_none());
    assert_eq!(h.store.settings.tokens.iter().count(), 0, "no token issued");
    assert_eq!(h.throttle.tracked(), (0, 0), "abandoned, not a failure");
}

#[test]
fn profile_guess_ceiling_throttles_password_logins() {
    let policy = ThrottlePolicy {
        profile_max_guesses: 1,
        ..ThrottlePolicy::default()
    };
    let mut throttle = Throttle::new(policy);
    let mut first = host_with(store(), throttle.clone(), transcript());
    first.throttle = std::mem::replace(&mut throttle, Throttle::new(policy));
    let mut v = viewer(password("wrong guess 1", false), 10);
    run(&mut first, &mut v);
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    // Another key, another address would not help: the profile has had its share.
    let mut second = host_with(first.store, first.throttle, transcript());
    let mut v = viewer(password(PASSWORD, false), 11);
    run(&mut second, &mut v);
    assert_eq!(denied(&v), DenialCode::Throttled);
    assert_eq!(
        reason(&second),
        "too many password guesses for this profile today"
    );
    assert!(matches!(
        second.last_sent(),
        HostMessage::Denied { retry_after_s: Some(s), .. } if *s > 0
    ));
}

// --- token -----------------------------------------------------------------

#[test]
fn remembered_login_issues_a_token_only_its_device_can_use() {
    let (store, token) = issued_token(store(), 10);
    assert_eq!(store.settings.tokens.iter().count(), 1, "kept as a record");
    let record = store.settings.tokens.iter().next().expect("record").clone();
    assert_ne!(record.hash, token.as_bytes(), "only its hash is kept");
    // The same device logs in with it.
    let (h, v) = handshake(
        store,
        viewer(Credential::Token(Zeroizing::new(token.clone())), 10),
    );
    let (method, profile, _) = granted(&h, &v);
    assert_eq!((method, profile.as_str()), (Method::Token, "default"));
    let Some(HostOutcome::Granted(grant)) = &h.outcome else {
        unreachable!()
    };
    assert_eq!(
        grant.credential.token_id.as_deref(),
        Some(record.id.as_str())
    );
    assert!(
        h.store
            .settings
            .tokens
            .iter()
            .next()
            .expect("r")
            .last_used
            .is_some(),
        "last use persisted"
    );
    // Another device holding the same text is refused: proof of possession.
    let (h, v) = handshake(
        h.store,
        viewer(Credential::Token(Zeroizing::new(token)), 11),
    );
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "token: wrong_device");
    assert!(v.forgot_token, "a refused token is forgotten");
}

#[test]
fn token_refused_once_the_epoch_moved_the_profile_is_disabled_or_unattended_is_off() {
    let (store, token) = issued_token(store(), 10);
    let mut moved = FakeStore {
        settings: store.settings.clone(),
        ..super::harness::store()
    };
    moved.settings.profiles.get_mut("default").expect("p").epoch += 1;
    let (h, v) = handshake(
        moved,
        viewer(Credential::Token(Zeroizing::new(token.clone())), 10),
    );
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "token: stale_epoch");

    let mut off = FakeStore {
        settings: store.settings.clone(),
        ..super::harness::store()
    };
    off.settings.profiles.get_mut("default").expect("p").enabled = false;
    let (h, v) = handshake(
        off,
        viewer(Credential::Token(Zeroizing::new(token.clone())), 10),
    );
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "token: profile_unavailable");

    // Unattended access turned off drops the profile's tokens.
    let mut off = FakeStore {
        settings: store.settings.clone(),
        ..super::harness::store()
    };
    off.settings.set_unattended("default", false).expect("off");
    let (h, v) = handshake(
        off,
        viewer(Credential::Token(Zeroizing::new(token.clone())), 10),
    );
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "token: unknown");

    // A password set (even to the same value) prunes every token.
    let mut reset = store;
    reset
        .settings
        .set_password("default", other_record())
        .expect("set");
    let (h, v) = handshake(reset, viewer(Credential::Token(Zeroizing::new(token)), 10));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "token: unknown");
}

#[test]
fn malformed_token_is_refused() {
    let (h, v) = handshake(
        store(),
        viewer(Credential::Token(Zeroizing::new("nope".into())), 10),
    );
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "malformed token");
    assert_eq!(h.throttle.tracked(), (1, 1), "counted as a failure");
}

#[test]
fn save_login_off_issues_no_token_but_grants() {
    let (h, v) = handshake(store(), viewer(password(PASSWORD, true), 10));
    granted(&h, &v);
    assert!(v.saved_token.is_none());
    assert!(matches!(
        h.last_sent(),
        HostMessage::Granted { token: None, .. }
    ));
}

// --- second factor ---------------------------------------------------------

#[test]
fn two_factor_applies_to_password_logins_and_refuses_replays() {
    let (store, secret) = with_two_factor(store());
    let code = code_now(&secret, START);
    let (h, v) = handshake(
        store,
        viewer_with(password(PASSWORD, false), 10, None, Some(code.clone())),
    );
    granted(&h, &v);
    assert!(h.sent.contains(&HostMessage::SecondFactorRequired));
    assert_eq!(
        h.store.settings.two_factor.last_used_step,
        Some(START.0 / 30),
        "the replay mark was persisted"
    );
    // The same code again is a replay.
    let (h, v) = handshake(
        h.store,
        viewer_with(password(PASSWORD, false), 10, None, Some(code)),
    );
    assert_eq!(denied(&v), DenialCode::SecondFactorInvalid);
    assert_eq!(reason(&h), "second factor replayed");
    // A wrong code.
    let (h, v) = handshake(
        h.store,
        viewer_with(password(PASSWORD, false), 10, None, Some("000000".into())),
    );
    assert_eq!(denied(&v), DenialCode::SecondFactorInvalid);
    assert!(reason(&h).starts_with("second factor "), "{}", reason(&h));
}

#[test]
fn no_code_at_hand_is_second_factor_required() {
    let (store, _) = with_two_factor(store());
    let (h, v) = handshake(store, viewer(password(PASSWORD, false), 10));
    assert_eq!(denied(&v), DenialCode::SecondFactorRequired);
    assert!(!v
        .sent
        .iter()
        .any(|m| matches!(m, ViewerMessage::SecondFactor { .. })));
    // The viewer closes; the host counts the login as abandoned.
    assert_eq!(reason(&h), "no second factor given");
    assert_eq!(h.throttle.tracked(), (0, 0));
}

#[test]
fn two_factor_secret_missing_refuses() {
    let (mut store, secret) = with_two_factor(store());
    store.totp = None;
    let code = code_now(&secret, START);
    let (h, v) = handshake(
        store,
        viewer_with(password(PASSWORD, false), 10, None, Some(code)),
    );
    assert_eq!(denied(&v), DenialCode::SecondFactorInvalid);
    assert_eq!(reason(&h), "2FA is on but its secret is missing");
}

#[test]
fn token_logins_need_a_code_unless_exempted() {
    let (store, token) = issued_token(store(), 10);
    let (mut store, secret) = with_two_factor(store);
    // By default token logins need one too.
    let (h, v) = handshake(
        FakeStore {
            settings: store.settings.clone(),
            totp: store.totp.clone(),
            ..super::harness::store()
        },
        viewer(Credential::Token(Zeroizing::new(token.clone())), 10),
    );
    assert_eq!(denied(&v), DenialCode::SecondFactorRequired);
    assert!(!v.forgot_token, "the token still works");
    drop(h);
    let code = code_now(&secret, START);
    let (h, v) = handshake(
        FakeStore {
            settings: store.settings.clone(),
            totp: store.totp.clone(),
            ..super::harness::store()
        },
        viewer_with(
            Credential::Token(Zeroizing::new(token.clone())),
            10,
            None,
            Some(code),
        ),
    );
    assert_eq!(granted(&h, &v).0, Method::Token);
    // The remembered-device exemption: no code asked for.
    store.settings.two_factor.apply_to_tokens = false;
    let (h, v) = handshake(store, viewer(Credential::Token(Zeroizing::new(token)), 10));
    assert_eq!(granted(&h, &v).0, Method::Token);
    assert!(!h.sent.contains(&HostMessage::SecondFactorRequired));
}

#[test]
fn reconnect_exemption_exempts_neither_passwords_nor_tokens() {
    let (store, token) = issued_token(store(), 10);
    let (mut store, _) = with_two_factor(store);
    store.settings.two_factor.apply_to_reconnect = false;
    let settings = store.settings.clone();
    let totp = store.totp.clone();
    let (_, v) = handshake(store, viewer(Credential::Token(Zeroizing::new(token)), 10));
    assert_eq!(denied(&v), DenialCode::SecondFactorRequired);
    let (_, v) = handshake(
        FakeStore {
            settings,
            totp,
            ..super::harness::store()
        },
        viewer(password(PASSWORD, false), 10),
    );
    assert_eq!(denied(&v), DenialCode::SecondFactorRequired);
}

// --- reconnect after a restart -----------------------------------------------

/// A reconnect credential the `default` profile issued to the viewer with key
/// `seed` (as the `restart` feature does), for a session of `permissions`.
fn issued_reconnect(
    store: &mut FakeStore,
    seed: u64,
    permissions: PermissionSet,
    attended: bool,
) -> String {
    let key = crate::identity::DeviceKey::generate(&mut StdRng::seed_from_u64(seed)).public();
    let epoch = store.settings.profiles.get("default").expect("p").epoch;
    let (credential, _) = store.settings.reconnects.issue(
        key,
        "default",
        permissions,
        epoch,
        attended,
        START,
        &mut StdRng::seed_from_u64(77),
    );
    credential.expose().to_string()
}

fn reconnect(credential: &str) -> Credential {
    Credential::Reconnect(Zeroizing::new(credential.to_string()))
}

#[test]
fn reconnect_logs_in_once_with_the_restarting_sessions_grant() {
    let mut store = store();
    let mut perms = PermissionSet::NONE;
    perms.set(Permission::Restart, true);
    perms.set(Permission::ControlInput, true);
    let credential = issued_reconnect(&mut store, 10, perms, false);
    let (h, v) = handshake(store, viewer(reconnect(&credential), 10));
    let (method, profile, granted_perms) = granted(&h, &v);
    assert_eq!(method, Method::Reconnect);
    assert_eq!(profile, "default");
    assert_eq!(
        granted_perms, perms,
        "the restarting session's grant, no more"
    );
    assert!(v.forgot_reconnect, "the viewer drops it once used");
    assert_eq!(h.decision_audited().0, "reconnect");
    assert!(h.store.settings.reconnects.is_empty(), "spent on disk");
    // A second use is refused.
    let (h, v) = handshake(h.store, viewer(reconnect(&credential), 10));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "reconnect: unknown");
}

#[test]
fn reconnect_is_bound_to_its_device_and_dies_with_a_password_set() {
    let mut store = store();
    let credential = issued_reconnect(&mut store, 10, PermissionSet::NONE, false);
    let (h, v) = handshake(store, viewer(reconnect(&credential), 11));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "reconnect: wrong_device");
    let mut store = h.store;
    assert_eq!(
        store.settings.reconnects.len(),
        1,
        "still there for its device"
    );
    store
        .settings
        .set_password("default", other_record())
        .expect("set");
    let (h, v) = handshake(store, viewer(reconnect(&credential), 10));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "reconnect: unknown");
    assert!(v.forgot_reconnect);
}

#[test]
fn malformed_reconnect_credential_is_refused() {
    let (h, v) = handshake(store(), viewer(reconnect("not a credential"), 10));
    assert_eq!(denied(&v), DenialCode::WrongCredentials);
    assert_eq!(reason(&h), "malformed reconnect credential");
    assert!(v.forgot_reconnect, "the viewer drops it");
}

#[test]
fn reconnect_after_an_accepted_session_needs_no_unattended_access() {
    let mut store = store();
    store
        .settings
        .set_unattended("default", false)
        .expect("off");
    let credential = issued_reconnect(&mut store, 10, PermissionSet::NONE, true);
    let (h, v) = handshake(store, viewer(reconnect(&credential), 10));
    assert_eq!(granted(&h, &v).0, Method::Reconnect);
    let Some(HostOutcome::Granted(grant)) = &h.outcome else {
        unreachable!()
    };
    assert!(
        grant.credential.attended,
        "lives on like the accepted session"
    );
}

#[test]
fn reconnect_asks_a_code_only_without_the_exemption_and_keeps_the_credential() {
    let mut store = store();
    let (with_2fa, secret) = with_two_factor(store);
    store = with_2fa;
    let credential = issued_reconnect(&mut store, 10, PermissionSet::NONE, false);
    // Exempt (the default is to ask: turn the exemption on first).
    store.settings.two_factor.apply_to_reconnect = false;
    let exempt = FakeStore {
        settings: store.settings.clone(),
        totp: store.totp.clone(),
        ..super::harness::store()
    };
    let (h, v) = handshake(exempt, viewer(reconnect(&credential), 10));
    assert_eq!(granted(&h, &v).0, Method::Reconnect);
    assert!(!h.sent.contains(&HostMessage::SecondFactorRequired));
    // Not exempt: a code is asked; none given leaves the credential usable.
    store.settings.two_factor.apply_to_reconnect = true;
    let (h, v) = handshake(store, viewer(reconnect(&credential), 10));
    assert_eq!(denied(&v), DenialCode::SecondFactorRequired);
    assert!(!v.forgot_reconnect);
    assert_eq!(h.store.settings.reconnects.len(), 1);
    let code = code_now(&secret, START);
    let (h, v) = handshake(
        h.store,
        viewer_with(reconnect(&credential), 10, None, Some(code)),
    );
    assert_eq!(granted(&h, &v).0, Method::Reconnect);
    assert!(h.store.settings.reconnects.is_empty());
}

#[test]
fn recovery_code_is_spent() {
    let (mut store, _) = with_two_factor(store());
    let codes = {
        use crate::totp::TwoFactor;
        let mut tf = TwoFactor::default();
        let pending = store.totp.clone().expect("secret");
        let code = code_now(&pending, START);
        let codes = tf
            .confirm(&pending, &code, START, &mut StdRng::seed_from_u64(6))
            .expect("confirm");
        store.settings.two_factor = tf;
        codes
    };
    let first = codes.first().expect("codes").to_string();
    let left = store.settings.two_factor.recovery_codes.len();
    let (h, v) = handshake(
        store,
        viewer_with(password(PASSWORD, false), 10, None, Some(first.clone())),
    );
    granted(&h, &v);
    assert_eq!(h.store.settings.two_factor.recovery_codes.len(), left - 1);
    let (_, v) = handshake(
        h.store,
        viewer_with(password(PASSWORD, false), 10, None, Some(first)),
    );
    assert_eq!(denied(&v), DenialCode::SecondFactorInvalid, "spent");
}

// --- ask -------------------------------------------------------------------

fn ask_host(
    mode: InteractiveMode,
    window_open: bool,
    decision: Option<PersonDecision>,
) -> (HostSide, ViewerSide) {
    let mut store = store();
    store.settings.interactive = mode;
    store.window_open = window_open;
    let mut h = host(store);
    h.decision = decision;
    let mut v = viewer(Credential::Ask, 10);
    run(&mut h, &mut v);
    (h, v)
}

fn accept() -> Option<PersonDecision> {
    Some(PersonDecision::Accept {
        profile: None,
        withdraw: vec![],
    })
}

#[test]
fn ask_always_shows_the_accept_window() {
    let (h, v) = ask_host(InteractiveMode::Always, false, accept());
    assert_eq!(h.asked.len(), 1);
    assert_eq!(h.asked[0].profile, "default");
    assert_eq!(h.asked[0].viewer_name, "alice@laptop");
    assert_eq!(h.asked[0].expires_in_s, 60);
    assert!(h.sent.contains(&HostMessage::Waiting { timeout_s: 60 }));
    let (method, profile, _) = granted(&h, &v);
    assert_eq!((method, profile.as_str()), (Method::Accepted, "default"));
    assert_eq!(h.decision_audited().0, "accepted");
}

#[test]
fn ask_window_mode_asks_only_while_the_window_is_open() {
    let (h, v) = ask_host(InteractiveMode::Window, true, accept());
    granted(&h, &v);
    let (h, v) = ask_host(InteractiveMode::Window, false, accept());
    assert_eq!(denied(&v), DenialCode::Denied);
    assert!(h.asked.is_empty(), "no window shown");
    assert_eq!(
        reason(&h),
        "interactive mode 'window' refuses requests without a credential"
    );
}

#[test]
fn ask_never_refuses_at_once_exclusive_unattended_access() {
    let (h, v) = ask_host(InteractiveMode::Never, true, accept());
    assert_eq!(denied(&v), DenialCode::Denied);
    assert!(h.asked.is_empty(), "never show incoming session requests");
    assert_eq!(
        reason(&h),
        "interactive mode 'never' refuses requests without a credential"
    );
    assert_eq!(h.throttle.tracked(), (0, 0), "not a failure");
}

#[test]
fn ask_denied_by_the_person() {
    let (h, v) = ask_host(InteractiveMode::Always, false, Some(PersonDecision::Deny));
    assert_eq!(denied(&v), DenialCode::Denied);
    assert_eq!(reason(&h), "denied by the person at the host");
}

#[test]
fn ask_times_out_after_60_s() {
    let (h, v) = ask_host(InteractiveMode::Always, false, None);
    assert_eq!(denied(&v), DenialCode::Denied);
    assert_eq!(reason(&h), "no answer within 60 s");
    assert_eq!(
        h.now,
        START.plus(60),
        "on fake time, exactly at the deadline"
    );
}

#[test]
fn accepting_can_lower_or_move_the_grant_but_not_onto_a_disabled_profile() {
    let decision = PersonDecision::Accept {
        profile: Some("screen_sharing".into()),
        withdraw: vec![],
    };
    let (h, v) = ask_host(InteractiveMode::Always, false, Some(decision));
    assert_eq!(granted(&h, &v).1, "screen_sharing");

    let decision = PersonDecision::Accept {
        profile: None,
        withdraw: vec![Permission::ControlInput],
    };
    let (h, v) = ask_host(InteractiveMode::Always, false, Some(decision));
    let perms = granted(&h, &v).2;
    assert!(!perms.contains(Permission::ControlInput));

    let mut store = store();
    store
        .settings
        .set_enabled("full_access", false)
        .expect("disable");
    let mut h = host(store);
    h.decision = Some(PersonDecision::Accept {
        profile: Some("full_access".into()),
        withdraw: vec![],
    });
    let mut v = viewer(Credential::Ask, 10);
    run(&mut h, &mut v);
    assert_eq!(denied(&v), DenialCode::Denied);
    assert_eq!(
        reason(&h),
        "profile 'full_access' is disabled: enable it first"
    );
}

#[test]
fn waiting_requests_are_capped_in_all_and_per_address() {
    for (waiting, why) in [
        (
            WaitingRequests {
                total: 8,
                from_addr: 0,
            },
            "too many requests are already waiting",
        ),
        (
            WaitingRequests {
                total: 2,
                from_addr: 2,
            },
            "too many requests from this address are already waiting",
        ),
    ] {
        let mut store = store();
        store.waiting = waiting;
        let (h, v) = handshake(store, viewer(Credential::Ask, 10));
        assert_eq!(denied(&v), DenialCode::Denied);
        assert_eq!(reason(&h), why);
        assert!(h.asked.is_empty());
    }
}

#[test]
fn viewer_leaving_while_waiting_withdraws_the_request() {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    while h.asked.is_empty() {
        assert!(progress(&mut h, &mut v));
    }
    h.feed(HostInput::Closed, &mut v);
    assert!(matches!(h.outcome, Some(HostOutcome::Refused)));
    assert_eq!(reason(&h), "no answer within 60 s");
}

// --- throttle, ACL, protocol -----------------------------------------------

#[test]
fn throttled_viewer_is_refused_before_its_method() {
    let mut throttle = Throttle::new(ThrottlePolicy::default());
    for _ in 0..4 {
        let key = v_key(10);
        throttle.record_failure(Some(&key), "198.51.100.1".parse().expect("ip"), START);
    }
    let mut h = host_with(store(), throttle, transcript());
    let mut v = viewer(password(PASSWORD, false), 10);
    run(&mut h, &mut v);
    assert_eq!(denied(&v), DenialCode::Throttled);
    assert!(matches!(
        h.last_sent(),
        HostMessage::Denied {
            retry_after_s: Some(1),
            ..
        }
    ));
    assert_eq!(
        h.decision_audited(),
        ("-".into(), None, "refused".into(), Some("throttled".into()))
    );
    assert!(
        !h.sent
            .iter()
            .any(|m| matches!(m, HostMessage::PasswordChallenge { .. })),
        "no guess allowed"
    );
}

fn v_key(seed: u64) -> crate::identity::DevicePublicKey {
    crate::identity::DeviceKey::generate(&mut StdRng::seed_from_u64(seed)).public()
}

#[test]
fn acl_refuses_unlisted_keys_and_other_profiles_for_every_method() {
    let (store, token) = issued_token(store(), 10);
    let mut settings = store.settings.clone();
    settings.acl.enabled = true;
    settings
        .acl
        .add(&v_key(10).fingerprint(), &["screen_sharing".into()])
        .expect("add");
    let run_with = |credential, seed, profile: Option<&str>| {
        let store = FakeStore {
            settings: settings.clone(),
            ..super::harness::store()
        };
        let mut h = host(store);
        h.decision = accept();
        let mut v = viewer_with(credential, seed, profile, None);
        run(&mut h, &mut v);
        (h, v)
    };
    // A stranger: refused whatever it tries, before any credential is looked at.
    for credential in [password(PASSWORD, false), Credential::Ask] {
        let (h, v) = run_with(credential, 11, None);
        assert_eq!(denied(&v), DenialCode::Denied);
        assert_eq!(reason(&h), "not_on_acl");
        assert!(h.asked.is_empty());
        assert!(!h
            .sent
            .iter()
            .any(|m| matches!(m, HostMessage::PasswordChallenge { .. })));
    }
    // Listed for screen_sharing only: its token (into default) and asking for default are refused.
    let (h, v) = run_with(Credential::Token(Zeroizing::new(token)), 10, None);
    assert_eq!(denied(&v), DenialCode::Denied);
    assert_eq!(h.decision_audited().1.as_deref(), Some("default"));
    let (_, v) = run_with(Credential::Ask, 10, Some("default"));
    assert_eq!(denied(&v), DenialCode::Denied);
    let (h, v) = run_with(Credential::Ask, 10, Some("screen_sharing"));
    assert_eq!(granted(&h, &v).1, "screen_sharing");
}

#[test]
fn acl_is_checked_again_for_the_profile_the_person_picks() {
    let mut store = store();
    store.settings.acl.enabled = true;
    store
        .settings
        .acl
        .add(&v_key(10).fingerprint(), &["default".into()])
        .expect("add");
    let mut h = host(store);
    h.decision = Some(PersonDecision::Accept {
        profile: Some("full_access".into()),
        withdraw: vec![],
    });
    let mut v = viewer(Credential::Ask, 10);
    run(&mut h, &mut v);
    assert_eq!(denied(&v), DenialCode::Denied);
    assert_eq!(
        h.decision_audited(),
        (
            "ask".into(),
            Some("full_access".into()),
            "refused".into(),
            Some("not_on_acl".into())
        )
    );
}

/// Drive the host alone up to its method, then feed `input`.
fn host_after_hellos() -> (HostSide, ViewerSide) {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    // Deliver only the viewer's hello.
    v.drain(&mut h);
    let hello = h.inbox.pop_front().expect("hello");
    h.feed(hello, &mut v);
    assert!(h
        .sent
        .iter()
        .any(|m| matches!(m, HostMessage::Hello { .. })));
    (h, v)
}

#[test]
fn method_deadline_refuses_after_5_s_and_counts_against_the_address() {
    let (mut h, mut v) = host_after_hellos();
    assert_eq!(h.deadline, Some(START.plus(5)));
    h.now = START.plus(4);
    h.feed(HostInput::Tick, &mut v);
    assert!(h.outcome.is_none(), "not yet");
    h.now = START.plus(5);
    h.feed(HostInput::Tick, &mut v);
    assert!(matches!(h.outcome, Some(HostOutcome::Refused)));
    assert_eq!(reason(&h), "no login method in time");
    assert!(matches!(
        h.last_sent(),
        HostMessage::Denied {
            error: DenialCode::Protocol,
            ..
        }
    ));
    assert_eq!(h.throttle.tracked(), (0, 1), "the address, not the key");
    assert_eq!(h.throttle.pending(), 0);
}

#[test]
fn unexpected_messages_are_refused_the_same_way_in_every_state() {
    // Before the hello.
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    h.feed(
        HostInput::Message(ViewerMessage::Ask { profile: None }),
        &mut v,
    );
    assert!(matches!(
        &h.outcome,
        Some(HostOutcome::Failed { error: HandshakeError::Protocol(why), .. }) if why == "expected hello"
    ));
    // In place of the method.
    let (mut h, mut v) = host_after_hellos();
    let finish = ViewerMessage::PasswordFinish {
        finalization: vec![1],
    };
    h.feed(HostInput::Message(finish), &mut v);
    assert_eq!(reason(&h), "expected a login method");
    assert_eq!(h.throttle.tracked(), (1, 1), "a failure");
    // In place of the password finish and of the second factor.
    let (two_factor, _) = with_two_factor(store());
    let mut h = host(two_factor);
    let mut v = viewer(password(PASSWORD, false), 10);
    while !h.sent.contains(&HostMessage::SecondFactorRequired) {
        assert!(progress(&mut h, &mut v));
    }
    h.feed(
        HostInput::Message(ViewerMessage::Ask { profile: None }),
        &mut v,
    );
    assert_eq!(reason(&h), "expected a second factor");
    let mut h = host(store());
    let mut v = viewer(password(PASSWORD, false), 10);
    while !h
        .sent
        .iter()
        .any(|m| matches!(m, HostMessage::PasswordChallenge { .. }))
    {
        assert!(progress(&mut h, &mut v));
    }
    h.feed(
        HostInput::Message(ViewerMessage::Ask { profile: None }),
        &mut v,
    );
    assert_eq!(reason(&h), "expected password_finish");
    assert!(matches!(
        h.last_sent(),
        HostMessage::Denied {
            error: DenialCode::Protocol,
            ..
        }
    ));
}

#[test]
fn viewer_leaving_after_the_challenge_is_a_wrong_password() {
    let mut h = host(store());
    let mut v = viewer(password(PASSWORD, false), 10);
    while !h
        .sent
        .iter()
        .any(|m| matches!(m, HostMessage::PasswordChallenge { .. }))
    {
        assert!(progress(&mut h, &mut v));
    }
    h.now = START.plus(15);
    h.feed(HostInput::Tick, &mut v);
    assert_eq!(reason(&h), "viewer left after the challenge");
    assert_eq!(h.throttle.tracked(), (1, 1));
}

#[test]
fn hello_not_signed_over_this_connection_is_a_transcript_mismatch() {
    // Someone in the middle: the host's DTLS view differs from the viewer's.
    let other = crate::handshake::transcript("AA:BB:CC", "66:66:66");
    let mut h = host_with(store(), Throttle::new(ThrottlePolicy::default()), other);
    let mut v = viewer(password(PASSWORD, false), 10);
    run(&mut h, &mut v);
    let Some(HostOutcome::Failed {
        error,
        linger: true,
    }) = &h.outcome
    else {
        panic!("{:?}", h.outcome);
    };
    assert!(
        error.to_string().starts_with("transcript_mismatch"),
        "{error}"
    );
    assert!(reason(&h).starts_with("transcript_mismatch"));
    assert!(matches!(
        v.outcome,
        Some(ViewerOutcome::Denied {
            code: DenialCode::Protocol,
            ..
        })
    ));
    assert!(
        !h.sent
            .iter()
            .any(|m| matches!(m, HostMessage::Hello { .. })),
        "no host hello"
    );
}

#[test]
fn malformed_messages_and_wrong_versions_are_protocol_errors() {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    h.feed(HostInput::Malformed, &mut v);
    assert!(matches!(
        h.last_sent(),
        HostMessage::Denied { error: DenialCode::Protocol, message, .. } if message == "malformed or oversized control message"
    ));
    let mut h = host(store());
    let v_key = crate::identity::DeviceKey::generate(&mut StdRng::seed_from_u64(10));
    let signed = crate::handshake::hello_message(crate::handshake::Role::Viewer, &transcript());
    let newer = ViewerMessage::Hello {
        version: crate::handshake::VERSION + 1,
        device_key: v_key.public(),
        name: "future".into(),
        signature: crate::signal::Signature(v_key.sign(&signed)),
    };
    h.feed(HostInput::Message(newer), &mut v);
    assert!(matches!(
        h.last_sent(),
        HostMessage::Denied { error: DenialCode::Protocol, message, .. } if message == "unsupported handshake version"
    ));
    let (mut h, mut v) = host_after_hellos();
    h.feed(HostInput::Malformed, &mut v);
    assert!(matches!(h.outcome, Some(HostOutcome::Failed { .. })));
    assert_eq!(
        h.throttle.tracked(),
        (0, 1),
        "no method: the address counts"
    );
}

#[test]
fn abort_hands_the_attempt_back() {
    let (mut h, _v) = host_after_hellos();
    assert_eq!(h.throttle.pending(), 1);
    h.machine.abort(h.now, &mut h.throttle);
    assert_eq!(h.throttle.pending(), 0);
    assert_eq!(h.throttle.tracked(), (0, 0));
    assert!(h.machine.poll_output().is_none());
}
