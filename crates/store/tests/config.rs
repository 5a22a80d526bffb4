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
