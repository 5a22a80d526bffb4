//! `Config`: changes under the lock from several processes' worth of writers
//! lose nothing, a failed change saves nothing, and what is saved reads back.

use latchkey_core::settings::SecretStoreKind;
use latchkey_core::Invalid;
use latchkey_store::{ops, Config, Error};

fn open(dir: &std::path::Path) -> Config {
    Config::open(dir, Some(SecretStoreKind::File)).expect("open")
}

#[test]
fn concurrent_writers_lose_no_update() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cfg");
    open(&dir).device_key().expect("initialise");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                // Each writer has its own Config, as separate processes would.
                let mut c = open(&dir);
                for i in 0..5 {
                    ops::create_profile(&mut c, &format!("p{t}-{i}"), None).expect("create");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    let c = open(&dir);
    assert_eq!(c.settings().profiles.iter().count(), 4 + 20);
    assert_eq!(ops::audit(&c, None).expect("audit").len(), 20);
}

#[test]
fn failed_change_saves_nothing_and_records_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cfg");
    let mut c = open(&dir);
    ops::set_save_login(&mut c, true).expect("set");
    let before = std::fs::read(dir.join("settings.json")).expect("read");
    let err = c
        .update(|s, _| -> Result<((), Vec<_>), Error> {
            s.save_login = false;
            Err(Invalid::ProfileExists("x".into()).into())
        })
        .expect_err("refused");
    assert!(matches!(err, Error::Core(_)));
    assert_eq!(
        std::fs::read(dir.join("settings.json")).expect("read"),
        before
    );
    assert!(c.settings().save_login);
    assert_eq!(ops::audit(&c, None).expect("audit").len(), 1);
}

#[test]
fn store_choice_is_remembered() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cfg");
    let fp = open(&dir).device_key().expect("key").public();
    // Without an explicit choice the configured store is used.
    let mut again = Config::open(&dir, None).expect("open");
    assert_eq!(again.device_key().expect("key").public(), fp);
    assert!(matches!(
        Config::open(&dir, Some(SecretStoreKind::Keyring)),
        Err(Error::StoreMismatch { .. })
    ));
}

#[test]
fn concurrent_secret_writers_lose_no_secret() {
    use latchkey_core::signal::DeviceId;
    use latchkey_store::SecretName;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cfg");
    open(&dir).device_key().expect("initialise");
    const WRITERS: u32 = 4;
    const EACH: u32 = 40;
    let name = |t: u32, i: u32| {
        SecretName::ViewerToken(DeviceId::from_number(100_000_000 + t * 1000 + i).expect("id"))
    };
    let threads: Vec<_> = (0..WRITERS)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                // Each writer has its own Config, as separate processes would.
                let mut c = open(&dir);
                for i in 0..EACH {
                    if t == 0 {
                        // A write under the settings' lock (as `2fa confirm` does),
                        // which takes the secrets' lock again on this thread.
                        c.update(|_, secrets| {
                            secrets.set(&name(t, i), &[t as u8, i as u8])?;
                            Ok(((), vec![]))
                        })
                        .expect("update");
                    } else {
                        // A bare secret write (as a viewer saving a token does).
                        c.secrets()
                            .set(&name(t, i), &[t as u8, i as u8])
                            .expect("set");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    let c = open(&dir);
    let mut lost = Vec::new();
    for t in 0..WRITERS {
        for i in 0..EACH {
            match c.secrets().get(&name(t, i)).expect("get") {
                Some(v) if v.as_slice() == [t as u8, i as u8] => {}
                other => lost.push(format!("{t}/{i}: {other:?}")),
            }
        }
    }
    assert_eq!(lost, Vec::<String>::new(), "secrets lost by racing writers");
    assert!(c
        .secrets()
        .get(&SecretName::DeviceKey)
        .expect("get")
        .is_some());
}

#[test]
fn open_makes_a_loosened_config_dir_private_again() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("cfg");
    open(&dir).device_key().expect("initialise");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o7777;
    assert_eq!(mode(&dir), 0o700, "created 0700");
    for loose in [0o755, 0o750, 0o711, 0o707, 0o777] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(loose)).expect("chmod");
        open(&dir);
        assert_eq!(mode(&dir), 0o700, "opening a {loose:o} config dir");
    }
    // Tighter than 0700 is left alone (a read-only config stays read-only).
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).expect("chmod");
    Config::open(&dir, Some(SecretStoreKind::File)).expect("open");
    assert_eq!(mode(&dir), 0o500);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
}
