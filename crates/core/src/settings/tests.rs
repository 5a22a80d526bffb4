//! Settings rules, migration, refusal of damaged or newer files, and a
//! property test of the JSON round trip.

use super::*;
use crate::identity::DeviceKey;
use crate::pake::KsfParams;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn record(n: u8) -> PasswordRecord {
    PasswordRecord {
        credential_id: vec![n; 16],
        registration: vec![n; 8],
        ksf: KsfParams::DEFAULT,
    }
}

fn fresh() -> (Settings, StdRng) {
    let mut rng = StdRng::seed_from_u64(21);
    (Settings::new(SecretStoreKind::Keyring, &mut rng), rng)
}

#[test]
fn fresh_install_defaults() {
    let (s, _) = fresh();
    assert_eq!(s.interactive, InteractiveMode::Always);
    assert!(!s.save_login);
    assert!(!s.two_factor.enabled);
    assert_eq!(s.default_profile, "default");
    assert!(s.profiles.iter().all(|p| !p.unattended));
    assert!(s.tokens.is_empty());
}

#[test]
fn unattended_needs_a_password() {
    let (mut s, _) = fresh();
    assert_eq!(
        s.set_unattended("default", true),
        Err(Invalid::NoPassword("default".into()))
    );
    s.set_password("default", record(1)).expect("set");
    s.set_unattended("default", true).expect("on");
    s.clear_password("default").expect("clear");
    assert!(
        !s.profile(None).expect("default").unattended,
        "clearing the password turns it off"
    );
}

#[test]
fn same_password_again_kills_tokens_and_save_login_off_keeps_them() {
    let (mut s, mut rng) = fresh();
    let key = DeviceKey::generate(&mut rng).public();
    s.set_password("default", record(1)).expect("set");
    s.set_unattended("default", true).expect("on");
    assert_eq!(
        s.issue_token(key, "default", 1, "pc", UnixTime(1), &mut rng)
            .err(),
        Some(Invalid::SaveLoginOff)
    );
    s.save_login = true;
    let (token, _) = s
        .issue_token(key, "default", 1, "pc", UnixTime(1), &mut rng)
        .expect("issue");
    // Saving login info turned off: existing tokens keep working, new ones are refused.
    s.save_login = false;
    assert!(s
        .tokens
        .verify(&token, &key, &s.profiles, UnixTime(2))
        .is_ok());
    assert!(s
        .issue_token(key, "default", 1, "pc", UnixTime(3), &mut rng)
        .is_err());
    // Set to the very same record: the epoch moves and the token dies.
    let epoch = s.profile(None).expect("p").epoch;
    assert_eq!(s.set_password("default", record(1)), Ok(1));
    assert_eq!(s.profile(None).expect("p").epoch, epoch + 1);
    assert!(s
        .tokens
        .verify(&token, &key, &s.profiles, UnixTime(4))
        .is_err());
    assert!(s.tokens.is_empty());
}

#[test]
fn a_token_is_issued_only_at_the_epoch_the_login_was_checked_at() {
    let (mut s, mut rng) = fresh();
    s.save_login = true;
    let key = DeviceKey::generate(&mut rng).public();
    s.set_password("default", record(1)).expect("set");
    s.set_unattended("default", true).expect("on");
    let target = crate::access::password_target(&s, None);
    assert!(crate::access::password_still_current(&s, &target));
    // The password is set again while the login is under way.
    s.set_password("default", record(1)).expect("set again");
    assert!(!crate::access::password_still_current(&s, &target));
    assert_eq!(
        s.issue_token(key, "default", target.epoch, "pc", UnixTime(1), &mut rng)
            .err(),
        Some(Invalid::PasswordChanged("default".into()))
    );
    assert!(s.tokens.is_empty());
    // Unattended turned off meanwhile: no longer current either.
    let target = crate::access::password_target(&s, None);
    s.set_unattended("default", false).expect("off");
    assert!(!crate::access::password_still_current(&s, &target));
}

#[test]
fn unattended_off_ends_the_profiles_tokens_for_good() {
    let (mut s, mut rng) = fresh();
    s.save_login = true;
    let key = DeviceKey::generate(&mut rng).public();
    s.set_password("default", record(1)).expect("set");
    s.set_password("screen_sharing", record(2)).expect("set");
    s.set_unattended("default", true).expect("on");
    s.set_unattended("screen_sharing", true).expect("on");
    let (token, _) = s
        .issue_token(key, "default", 1, "pc", UnixTime(1), &mut rng)
        .expect("issue");
    let (other, _) = s
        .issue_token(key, "screen_sharing", 1, "pc", UnixTime(1), &mut rng)
        .expect("issue");
    // Turning it on again (already on) ends nothing.
    assert_eq!(s.set_unattended("default", true), Ok(0));
    assert_eq!(s.set_unattended("default", false), Ok(1));
    assert_eq!(s.set_unattended("default", true), Ok(0));
    assert_eq!(
        s.tokens.verify(&token, &key, &s.profiles, UnixTime(2)),
        Err(crate::token::TokenRefusal::Unknown),
        "on again does not bring it back"
    );
    // Another profile's token is untouched.
    assert_eq!(
        s.tokens.verify(&other, &key, &s.profiles, UnixTime(2)),
        Ok("screen_sharing".into())
    );
}

#[test]
fn settings_version_2_migrates_to_an_empty_acl_that_is_off() {
    let (mut s, _) = fresh();
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json().expect("json")).expect("v");
    let obj = v.as_object_mut().expect("obj");
    obj.remove("acl");
    obj.insert("version".into(), 2.into());
    let migrated = Settings::from_json(&v.to_string()).expect("migrates");
    assert_eq!(migrated, s);
    // A damaged list is refused, never reset.
    s.acl.entries.push(crate::acl::AclEntry {
        fingerprint: "not-a-fingerprint".into(),
        profiles: vec![],
    });
    assert!(Settings::from_json(&s.to_json().expect("json")).is_err());
}

#[test]
fn token_only_for_unattended_enabled_profile() {
    let (mut s, mut rng) = fresh();
    s.save_login = true;
    let key = DeviceKey::generate(&mut rng).public();
    assert_eq!(
        s.issue_token(key, "full_access", 0, "x", UnixTime(0), &mut rng)
            .err(),
        Some(Invalid::ProfileNotUnattended("full_access".into()))
    );
    assert!(s
        .issue_token(key, "ghost", 0, "x", UnixTime(0), &mut rng)
        .is_err());
}

#[test]
fn default_profile_rules() {
    let (mut s, _) = fresh();
    assert_eq!(
        s.set_enabled("default", false),
        Err(Invalid::IsDefaultProfile("default".into()))
    );
    s.profiles.create("team", None).expect("create");
    s.set_default_profile("team").expect("default");
    assert_eq!(
        s.delete_profile("team"),
        Err(Invalid::IsDefaultProfile("team".into()))
    );
    s.rename_profile("team", "crew").expect("rename");
    assert_eq!(s.default_profile, "crew");
    s.set_default_profile("default").expect("back");
    s.set_enabled("crew", false).expect("disable");
    assert_eq!(
        s.set_default_profile("crew"),
        Err(Invalid::ProfileDisabled("crew".into()))
    );
    assert_eq!(s.delete_profile("crew"), Ok(0));
    assert!(s.delete_profile("screen_sharing").is_err());
}

#[test]
fn deleting_a_profile_kills_its_tokens_and_rename_keeps_them() {
    let (mut s, mut rng) = fresh();
    s.save_login = true;
    let key = DeviceKey::generate(&mut rng).public();
    s.profiles.create("ops", Some("default")).expect("create");
    s.set_password("ops", record(2)).expect("pw");
    s.set_unattended("ops", true).expect("on");
    let (token, _) = s
        .issue_token(key, "ops", 1, "a", UnixTime(0), &mut rng)
        .expect("issue");
    s.rename_profile("ops", "ops2").expect("rename");
    assert_eq!(
        s.tokens.verify(&token, &key, &s.profiles, UnixTime(1)),
        Ok("ops2".into())
    );
    assert_eq!(s.delete_profile("ops2"), Ok(1));
    assert!(s.tokens.is_empty());
}

#[test]
fn refuses_newer_and_damaged_files() {
    let (s, _) = fresh();
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json().expect("json")).expect("json");
    v["version"] = serde_json::json!(SETTINGS_VERSION + 1);
    assert!(matches!(
        Settings::from_json(&v.to_string()),
        Err(Error::NewerSettings { .. })
    ));
    for bad in [
        "",
        "{",
        "[]",
        "{}",
        r#"{"version":"2"}"#,
        r#"{"version":0}"#,
        r#"{"version":2}"#,
    ] {
        assert!(
            matches!(Settings::from_json(bad), Err(Error::Corrupt(_))),
            "{bad:?}"
        );
    }
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json().expect("json")).expect("json");
    v["default_profile"] = serde_json::json!("ghost");
    assert!(Settings::from_json(&v.to_string()).is_err());
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json().expect("json")).expect("json");
    v["profiles"][0]["permissions"] = serde_json::json!(["fly"]);
    assert!(Settings::from_json(&v.to_string()).is_err());
}

#[test]
fn migrates_version_1() {
    let v1 = r#"{
        "version": 1,
        "instance": "00112233445566778899aabbccddeeff",
        "secret_store": "file",
        "accept_mode": "never",
        "save_login": true,
        "two_factor": {"enabled": false, "last_used_step": null, "recovery_codes": []},
        "default_profile": "default",
        "profiles": [
            {"name":"default","builtin":true,"enabled":true,"permissions":["clipboard"],"unattended":false,"password":null},
            {"name":"full_access","builtin":true,"enabled":true,"permissions":[],"unattended":false,"password":null},
            {"name":"screen_sharing","builtin":true,"enabled":true,"permissions":[],"unattended":false,"password":null},
            {"name":"unattended","builtin":true,"enabled":false,"permissions":[],"unattended":false,"password":null}
        ],
        "tokens": []
    }"#;
    let s = Settings::from_json(v1).expect("migrates");
    assert_eq!(s.version, SETTINGS_VERSION);
    assert_eq!(s.acl, crate::acl::AccessList::default());
    assert_eq!(s.interactive, InteractiveMode::Never);
    assert_eq!(s.secret_store, SecretStoreKind::File);
    assert!(s.save_login);
    assert!(s.two_factor.apply_to_tokens && s.two_factor.apply_to_reconnect);
    assert!(s.profiles.iter().all(|p| p.epoch == 0));
    assert!(!s.profiles.get("unattended").expect("p").enabled);
    assert_eq!(
        s.profile(None).expect("p").permissions.names(),
        vec!["clipboard"]
    );
}

fn arb_settings() -> impl Strategy<Value = Settings> {
    (
        any::<u64>(),
        prop_oneof![
            Just(InteractiveMode::Always),
            Just(InteractiveMode::Window),
            Just(InteractiveMode::Never)
        ],
        any::<bool>(),
        any::<(bool, bool, bool)>(),
        proptest::collection::vec(
            ("[a-z0-9_-]{1,32}", any::<u16>(), any::<bool>(), any::<u8>()),
            0..6,
        ),
        proptest::collection::vec(any::<u16>(), 4),
        any::<u64>(),
    )
        .prop_map(
            |(seed, mode, save, (tf_on, tf_tok, tf_rec), extra, builtin_perms, step)| {
                let mut rng = StdRng::seed_from_u64(seed);
                let mut s = Settings::new(SecretStoreKind::File, &mut rng);
                s.interactive = mode;
                s.save_login = save;
                s.two_factor.enabled = tf_on;
                s.two_factor.apply_to_tokens = tf_tok;
                s.two_factor.apply_to_reconnect = tf_rec;
                s.two_factor.last_used_step = Some(step);
                let names: Vec<String> = s.profiles.iter().map(|p| p.name.clone()).collect();
                for (name, bits) in names.iter().zip(builtin_perms) {
                    for (i, p) in Permission::ALL.iter().enumerate() {
                        s.set_permission(name, *p, bits & (1 << i) != 0)
                            .expect("built-in");
                    }
                }
                for (name, bits, with_pw, n) in extra {
                    if s.profiles.create(&name, None).is_ok() {
                        for (i, p) in Permission::ALL.iter().enumerate() {
                            s.set_permission(&name, *p, bits & (1 << i) != 0)
                                .expect("exists");
                        }
                        if with_pw {
                            s.set_password(&name, record(n)).expect("exists");
                            s.set_unattended(&name, true).expect("has password");
                            s.save_login = true;
                            let key = DeviceKey::generate(&mut rng).public();
                            let epoch = s.profiles.get(&name).expect("exists").epoch;
                            s.issue_token(
                                key,
                                &name,
                                epoch,
                                "label",
                                UnixTime(u64::from(n)),
                                &mut rng,
                            )
                            .expect("issue");
                            s.acl_add(&key.fingerprint(), std::slice::from_ref(&name))
                                .expect("acl");
                            s.acl.enabled = tf_on;
                            s.save_login = save;
                        }
                    }
                }
                s
            },
        )
}

proptest! {
    #[test]
    fn json_round_trip(s in arb_settings()) {
        let json = s.to_json().expect("json");
        let back = Settings::from_json(&json).expect("reads what it wrote");
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(back.to_json().expect("json"), json);
    }
}

#[test]
fn settings_version_3_migrates_to_tunnels_anywhere_and_keeps_a_list() {
    use crate::feature::tunnel::Destinations;
    let (mut s, _) = fresh();
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json().expect("json")).expect("v");
    for p in v["profiles"].as_array_mut().expect("profiles") {
        p.as_object_mut()
            .expect("profile")
            .remove("tunnel_destinations");
    }
    v["version"] = 3.into();
    let migrated = Settings::from_json(&v.to_string()).expect("migrates");
    assert_eq!(migrated, s);
    assert!(migrated
        .profiles
        .iter()
        .all(|p| p.tunnel_destinations == Destinations::Any));
    let list = Destinations::parse_list("127.0.0.1:8000,10.0.0.0/8").expect("list");
    s.set_tunnel_destinations("default", list.clone())
        .expect("set");
    let back = Settings::from_json(&s.to_json().expect("json")).expect("load");
    assert_eq!(back.profile(None).expect("p").tunnel_destinations, list);
    // A copy keeps the limits; a damaged list is refused, never reset.
    s.profiles.create("copy", Some("default")).expect("copy");
    assert_eq!(s.profiles.get("copy").expect("p").tunnel_destinations, list);
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json().expect("json")).expect("v");
    v["profiles"][0]["tunnel_destinations"] = serde_json::json!(["h:0"]);
    assert!(Settings::from_json(&v.to_string()).is_err());
}
