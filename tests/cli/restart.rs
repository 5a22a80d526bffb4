//! `latchkey restart` between real processes on this machine (the host run
//! by hand, not as a service): without `restart` the host refuses it (exit
//! 3) and audits it once; with it, a host that does not start at boot
//! refuses too, saying why, issues no reconnect credential and stays up.
//! The restart itself, in a booted container with the .deb, is
//! `restart_nspawn.rs`.

use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{dropped, host_on};
use latchkey_testkit::Xvfb;

/// `restart ID --json` with the password, on `profile`.
fn restart(viewer: &Device, id: &str, rv: &Rendezvous, profile: &str) -> Run {
    viewer.run_stdin(
        &[
            "restart",
            id,
            "--rendezvous",
            &rv.url,
            "--profile",
            profile,
            "--password-stdin",
            "--json",
        ],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
}

fn audit_events(host: &Device, name: &str) -> usize {
    host.run(&["audit", "--json"])
        .json()
        .as_array()
        .expect("audit list")
        .iter()
        .filter(|e| e["event"] == name)
        .count()
}

#[test]
fn without_restart_the_host_refuses_and_audits_it_once() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "screen_sharing");
    let viewer = Device::file();
    for _ in 0..2 {
        let run = restart(&viewer, h.id(), &rv, "screen_sharing");
        assert_eq!(run.code, 3, "{run:?}");
        let answer: serde_json::Value =
            serde_json::from_str(run.stdout.trim()).expect("one JSON line");
        assert_eq!(answer["error"], "permission", "{answer}");
        assert!(answer["message"].as_str().unwrap_or("").contains("restart"));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dropped(&host).contains(&("restart".into(), "restart".into())) {
        assert!(Instant::now() < deadline, "{:?}", dropped(&host));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(audit_events(&host, "restart_requested"), 0);
    assert!(
        !viewer.dir.join("secrets").exists()
            || !std::fs::read_to_string(viewer.dir.join("secrets"))
                .unwrap_or_default()
                .contains("reconnect-"),
        "no reconnect credential was kept"
    );
}

#[test]
fn a_host_that_does_not_start_at_boot_refuses_to_restart_and_stays_up() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let run = restart(&viewer, h.id(), &rv, "default");
    assert_eq!(run.code, 1, "{run:?}");
    let answer: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or("")
            .contains("does not start at boot"),
        "{answer}"
    );
    assert_eq!(audit_events(&host, "restart_requested"), 0);
    let secrets = std::fs::read_to_string(viewer.dir.join("secrets")).unwrap_or_default();
    assert!(!secrets.contains("reconnect-"), "no credential: {secrets}");
    // Still up and taking sessions.
    let again = viewer.connect(h.id(), &rv, &["--password-stdin"], Some(GOOD_PASSWORD));
    assert_eq!(again.json()["ok"], true);
}
