//! Findings of the security review (issue 10) that need a scripted peer or a
//! held-open session: a token from a login that began under the old password,
//! a fake host that "grants" a password it never checked, and revocation
//! ending the live sessions it concerns. Real processes on the loopback.

use latchkey_core::handshake::{DenialCode, HostMessage, Method, ViewerMessage};
use latchkey_core::identity::DeviceKey;
use latchkey_core::permission::PermissionSet;
use latchkey_core::totp::STEP_SECS;
use latchkey_e2e::cli::*;
use latchkey_e2e::raw_host::RawHost;
use latchkey_e2e::raw_viewer::RawViewer;
use rand_core::OsRng;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Finding 2: a login that began under the old password gets nothing, and no
/// token is issued at the new epoch.
#[test]
fn a_login_held_open_across_a_password_set_is_not_granted() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    host.run(&["save-login", "on"]).ok();
    let secret = secret_from_enroll(host.run(&["2fa", "enroll"]).ok());
    let step = latchkey_store::config::now().0 / STEP_SECS;
    host.run(&["2fa", "confirm", &secret.code_at_step(step).expect("code")])
        .ok();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let id = h.id().to_string();
    let answer = rt.block_on(async {
        let v = RawViewer::connect(&rv.url, &id, DeviceKey::generate(&mut OsRng)).await;
        // The password was right: the host asks for the second factor and waits.
        let m = v.password_login(GOOD_PASSWORD, true).await;
        assert_eq!(m, HostMessage::SecondFactorRequired);
        // Meanwhile the owner sets the password (even to the same value).
        host.set_password("default", GOOD_PASSWORD).ok();
        let code = secret.code_at_step(step + 1).expect("code");
        v.send(&ViewerMessage::SecondFactor { code }).await;
        let answer = v.recv().await;
        v.close().await;
        answer
    });
    match answer {
        HostMessage::Denied { error, .. } => assert_eq!(error, DenialCode::WrongCredentials),
        other => panic!("a login checked against the old password was answered {other:?}"),
    }
    assert_eq!(
        host.run(&["tokens", "list", "--json"]).json(),
        serde_json::json!([]),
        "no token issued"
    );
    let last = host
        .audited("access_decision", 1)
        .pop()
        .expect("a decision");
    assert_eq!(last["outcome"], "refused", "{last}");
    assert_eq!(
        last["reason"], "the password changed during this login",
        "{last}"
    );
}

/// Finding 7: a fake host (one that holds no password record) cannot make
/// the viewer believe a password login succeeded, nor ask for a second
/// factor before the password exchange.
#[test]
fn a_fake_host_cannot_grant_a_password_it_never_checked() {
    let rv = Rendezvous::start(0, None);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut fake = rt.block_on(RawHost::register(&rv.url, DeviceKey::generate(&mut OsRng)));
    let id = fake.id.to_string();
    let script = rt.spawn(async move {
        let mut seen = Vec::new();
        for answer in [
            HostMessage::Granted {
                method: Method::Password,
                profile: "default".into(),
                permissions: PermissionSet::all(),
                token: None,
            },
            HostMessage::SecondFactorRequired,
        ] {
            let s = fake.accept().await;
            let first = s.recv().await;
            s.send(&answer).await;
            // What the viewer says next (a code would be a leak).
            let next = tokio::time::timeout(Duration::from_secs(3), s.control.recv()).await;
            seen.push((first, next.ok().and_then(Result::ok)));
            s.peer.close().await;
        }
        seen
    });
    let viewer = Device::file();
    for _ in 0..2 {
        let run = viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--totp", "123456"],
            Some(&format!("{GOOD_PASSWORD}\n")),
        );
        let out: Value = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(out["ok"], false, "{run:?}");
        assert_eq!(out["error"], "protocol", "{run:?}");
    }
    let seen = rt.block_on(script).expect("script");
    for (first, next) in seen {
        assert!(matches!(first, ViewerMessage::Password { .. }), "{first:?}");
        let next = next.map(|b| String::from_utf8_lossy(&b).into_owned());
        assert!(
            !next.as_deref().unwrap_or_default().contains("123456"),
            "the viewer sent its code to a host that never checked its password: {next:?}"
        );
    }
}

/// A viewer holding a session open (`connect --commands`), by password (asking for a token) or with its saved token.
fn held_session(viewer: &Device, id: &str, rv: &Rendezvous, password: bool) -> Proc {
    let mut args = vec![
        "connect",
        id,
        "--rendezvous",
        &rv.url,
        "--commands",
        "--json",
    ];
    if password {
        args.push("--password-stdin");
        args.push("--remember");
    }
    let mut v = viewer.spawn_piped(&args);
    if password {
        v.send(GOOD_PASSWORD);
    }
    let line = v.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
    assert!(line.contains("\"ok\":true"), "{line}");
    assert_eq!(v.command("sync")["ok"], true);
    v
}

/// The reasons of the sessions the host audited as ended, once there are `n`.
fn wait_ended(host: &Device, n: usize) -> Vec<Value> {
    host.audited("session_ended", n)
        .iter()
        .map(|e| e["reason"].clone())
        .collect()
}

fn assert_ended(v: &mut Proc, reason: &str) {
    let answer = v.command("sync");
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(
        answer["error"].as_str().is_some_and(|e| e.contains(reason)),
        "{answer}"
    );
}

/// Finding 8: revocation ends the live sessions that logged in through what
/// was revoked, and only those.
#[test]
fn revocation_ends_the_sessions_it_concerns() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    host.run(&["save-login", "on"]).ok();
    let id = h.id().to_string();

    // A password session and a token session of another device.
    let by_password = Device::file();
    let mut p = held_session(&by_password, &id, &rv, true);
    let by_token = Device::file();
    held_session(&by_token, &id, &rv, true).send("quit");
    assert_eq!(wait_ended(&host, 1).len(), 1);
    let mut t = held_session(&by_token, &id, &rv, false);
    // Clearing the tokens ends the token session, not the password one.
    host.run(&["tokens", "clear"]).ok();
    assert_eq!(
        wait_ended(&host, 2).last(),
        Some(&Value::from("token_revoked"))
    );
    assert_ended(&mut t, "token_revoked");
    assert_eq!(
        p.command("sync")["ok"],
        true,
        "the password session lives on"
    );
    // A password set ends the password session.
    host.set_password("default", GOOD_PASSWORD).ok();
    assert_eq!(
        wait_ended(&host, 3).last(),
        Some(&Value::from("password_changed"))
    );
    assert_ended(&mut p, "password_changed");

    // Unattended off ends a password session; disabling the profile ends
    // even one the person at the host accepted.
    let mut p = held_session(&by_password, &id, &rv, true);
    host.run(&["unattended", "off"]).ok();
    assert_eq!(
        wait_ended(&host, 4).last(),
        Some(&Value::from("unattended_off"))
    );
    assert_ended(&mut p, "unattended_off");
    let asking = Device::file();
    let mut a = asking.spawn_piped(&[
        "connect",
        &id,
        "--rendezvous",
        &rv.url,
        "--commands",
        "--json",
    ]);
    let request = {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let list = host.run(&["requests", "--json"]).json();
            if let Some(r) = list.as_array().and_then(|l| l.first()).cloned() {
                break r;
            }
            assert!(Instant::now() < deadline, "no request appeared");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let req_id = request["id"].as_str().expect("id").to_string();
    host.run(&["accept", &req_id]).ok();
    let line = a.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
    assert!(line.contains("\"ok\":true"), "{line}");
    host.run(&["unattended", "on"]).ok();
    host.set_password("default", GOOD_PASSWORD).ok();
    assert_eq!(
        a.command("sync")["ok"],
        true,
        "an accepted session is not an unattended one"
    );
    host.run(&["profile", "default", "unattended"]).ok();
    host.run(&["profile", "disable", "default"]).ok();
    assert_eq!(
        wait_ended(&host, 5).last(),
        Some(&Value::from("profile_disabled"))
    );
    assert_ended(&mut a, "profile_disabled");
}
