//! The admin commands against a real Secret Service (dbus-daemon +
//! gnome-keyring-daemon), and the search for leaked secrets: after a password
//! and a token are set, neither appears in any file under the config dir nor in
//! any keyring item, in any of the encodings we use.

use base64::Engine as _;
use latchkey_core::identity::DeviceKey;
use latchkey_e2e::cli::*;
use latchkey_store::ops;
use rand_core::OsRng;

/// Every encoding of `bytes` a careless implementation might have stored.
fn encodings(bytes: &[u8]) -> Vec<Vec<u8>> {
    vec![
        bytes.to_vec(),
        hex::encode(bytes).into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into_bytes(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(bytes)
            .into_bytes(),
        data_encoding::BASE32_NOPAD.encode(bytes).into_bytes(),
    ]
}

fn assert_absent(what: &str, haystack: &[u8], secrets: &[(&str, Vec<Vec<u8>>)]) {
    for (name, forms) in secrets {
        for form in forms {
            assert!(!contains(haystack, form), "the {name} appears in {what}");
        }
    }
}

fn leak_check(d: &Device, session: Option<&KeyringSession>) {
    d.set_password("default", GOOD_PASSWORD).ok();
    d.run(&["unattended", "on"]).ok();
    d.run(&["save-login", "on"]).ok();
    d.run_stdin(
        &["password", "verify"],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
    .ok();
    d.run(&["2fa", "enroll"]).ok();
    let mut c = d.open();
    let viewer = DeviceKey::generate(&mut OsRng).public();
    let at = epoch(&c);
    let (token, _) = ops::issue_token(&mut c, viewer, "default", at, "viewer").expect("issue");
    let token_text = token.expose().to_string();
    let secrets = [
        ("password", encodings(GOOD_PASSWORD.as_bytes())),
        ("token", {
            let mut v = encodings(token.as_bytes());
            v.push(token_text.clone().into_bytes());
            v
        }),
    ];
    let files = d.snapshot();
    assert!(files.keys().any(|p| p.ends_with("settings.json")));
    for (path, bytes) in &files {
        assert_absent(&path.display().to_string(), bytes, &secrets);
    }
    if let Some(session) = session {
        let items = session.dump_items();
        assert!(
            items.contains("device-key")
                && items.contains("opaque-server")
                && items.contains("totp-pending"),
            "keyring items: {items}"
        );
        assert_absent("the keyring", items.as_bytes(), &secrets);
        // Decode every stored secret too, in case one holds the password in another form.
        for line in items.lines().filter_map(|l| l.strip_prefix("secret = ")) {
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(line.trim()) {
                assert_absent("a decoded keyring secret", &raw, &secrets);
            }
        }
        // Nothing secret went to the file store either.
        assert!(!d.dir.join("secrets").exists());
    }
}

#[test]
fn keyring_store_works_and_leaks_nothing() {
    let session = KeyringSession::start();
    let d = Device::keyring(&session);
    let fp = d.status()["fingerprint"].as_str().expect("fp").to_string();
    assert_eq!(d.status()["secret_store"], "keyring");
    leak_check(&d, Some(&session));
    // The device key really lives in the keyring: same fingerprint on every run.
    assert_eq!(d.status()["fingerprint"], fp.as_str());
    // Two configurations share one keyring without mixing their secrets.
    let other = Device::keyring(&session);
    assert_ne!(other.status()["fingerprint"], fp.as_str());
    other
        .run_stdin(
            &["password", "verify"],
            format!("{GOOD_PASSWORD}\n").as_bytes(),
        )
        .fails_with(3);
}

#[test]
fn file_store_leaks_nothing() {
    let d = Device::file();
    leak_check(&d, None);
    let secrets = d.dir.join("secrets");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&secrets)
            .expect("secrets")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&d.dir).expect("dir").permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn missing_keyring_is_exit_4_and_writes_nothing() {
    // No session bus at all.
    let d = Device::file();
    let no_bus = Device::keyring_without_bus();
    let msg = no_bus.run(&["status"]).fails_with(4).to_string();
    assert!(msg.contains("--secret-store file"), "{msg}");
    assert!(no_bus.snapshot().is_empty(), "nothing written");
    let msg = no_bus
        .set_password("default", GOOD_PASSWORD)
        .fails_with(4)
        .to_string();
    assert!(msg.contains("keyring"), "{msg}");
    assert!(no_bus.snapshot().is_empty());
    drop(d);
    // A session bus without a Secret Service on it.
    let bus_only = KeyringSession::bus_only();
    let d = Device::keyring(&bus_only);
    d.run(&["status"]).fails_with(4);
    assert!(d.snapshot().is_empty());
}
