//! Sessions end to end: a rendezvous, a host and viewers as separate processes
//! with separate config dirs, over WebRTC on the loopback, for each path of the
//! access decision (DESIGN §2).

use latchkey_core::totp::STEP_SECS;
use latchkey_e2e::cli::*;
use serde_json::Value;
use std::time::{Duration, Instant};

#[test]
fn password_logins_per_profile_and_unattended_off() {
    let rv = Rendezvous::start(0, None);
    let host = Device::file();
    host.set_password("default", GOOD_PASSWORD).ok();
    host.set_password("screen_sharing", OTHER_PASSWORD).ok();
    let h = host.start_host(&rv);
    let id = h.id().to_string();
    assert_eq!(host.run(&["id"]).ok().trim().replace(' ', ""), id);
    let viewer = Device::file();
    // Unattended off: even the right password is refused.
    refused(
        &viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))),
        "wrong_credentials",
        3,
    );
    host.run(&["unattended", "on"]).ok();
    host.run(&["unattended", "on", "--profile", "screen_sharing"])
        .ok();
    // Settings changed while the host runs apply to the next request.
    refused(
        &viewer.connect(
            &id,
            &rv,
            &["--password-stdin"],
            Some("kettle-orbit-cactus-72\n"),
        ),
        "wrong_credentials",
        3,
    );
    let v = granted(&viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
    assert_eq!(v["method"], "password");
    assert_eq!(v["profile"], "default");
    assert_eq!(v["permissions"].as_array().map(|a| a.len()), Some(12));
    assert_eq!(v["host_id"], id.as_str());
    assert_eq!(v["token_saved"], false);
    // Each profile has its own password and its own permissions.
    refused(
        &viewer.connect(
            &id,
            &rv,
            &["--profile", "screen_sharing", "--password-stdin"],
            Some(&pw(GOOD_PASSWORD)),
        ),
        "wrong_credentials",
        3,
    );
    let v = granted(&viewer.connect(
        &id,
        &rv,
        &["--profile", "screen_sharing", "--password-stdin"],
        Some(&pw(OTHER_PASSWORD)),
    ));
    assert_eq!(v["profile"], "screen_sharing");
    assert_eq!(v["permissions"], serde_json::json!([]));
    // A disabled profile's password stops working.
    host.run(&["profile", "disable", "screen_sharing"]).ok();
    refused(
        &viewer.connect(
            &id,
            &rv,
            &["--profile", "screen_sharing", "--password-stdin"],
            Some(&pw(OTHER_PASSWORD)),
        ),
        "wrong_credentials",
        3,
    );
    // Every decision is in the host's audit log, without the password.
    let decisions = host.audited("access_decision", 6);
    assert_eq!(decisions.len(), 6, "{decisions:?}");
    let audit = host.run(&["audit", "--json"]).json();
    assert!(decisions
        .iter()
        .any(|d| d["outcome"] == "granted" && d["method"] == "password"));
    assert!(!audit.to_string().contains(GOOD_PASSWORD));
    // The viewer pinned the host's key on first contact.
    let known = viewer.run(&["known-hosts", "list", "--json"]).json();
    assert_eq!(known[0]["id"], id.as_str());
}

#[test]
fn tokens_bound_to_device_epoch_and_save_login() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    // No token without --remember, nor while saving login info is off.
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))))
            ["token_saved"],
        false
    );
    assert_eq!(
        granted(&viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--remember"],
            Some(&pw(GOOD_PASSWORD))
        ))["token_saved"],
        false
    );
    assert_eq!(host.status()["tokens"], 0);
    host.run(&["save-login", "on"]).ok();
    assert_eq!(
        granted(&viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--remember"],
            Some(&pw(GOOD_PASSWORD))
        ))["token_saved"],
        true
    );
    assert_eq!(host.status()["tokens"], 1);
    // Reused without a password.
    let v = granted(&viewer.connect(&id, &rv, &[], None));
    assert_eq!(v["method"], "token");
    let list = host.run(&["tokens", "list", "--json"]).json();
    assert!(list[0]["last_used"].is_string());
    // Saving login info off: the old token keeps working.
    host.run(&["save-login", "off"]).ok();
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &[], None))["method"],
        "token"
    );
    // Copied to a second device: refused there (bound to the first device's key).
    let thief = Device::file();
    thief.status();
    let token_line = std::fs::read_to_string(viewer.dir.join("secrets")).expect("viewer secrets");
    let stolen: serde_json::Map<String, Value> = serde_json::from_str(&token_line).expect("json");
    let mut thief_secrets: serde_json::Map<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(thief.dir.join("secrets")).expect("thief secrets"),
    )
    .expect("json");
    let key = format!("token-{id}");
    thief_secrets.insert(key.clone(), stolen[&key].clone());
    std::fs::write(
        thief.dir.join("secrets"),
        serde_json::to_string(&thief_secrets).expect("json"),
    )
    .expect("write");
    refused(&thief.connect(&id, &rv, &[], None), "wrong_credentials", 3);
    // The right device still gets in; then "clear all tokens" kills it.
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &[], None))["method"],
        "token"
    );
    host.run(&["tokens", "clear"]).ok();
    refused(&viewer.connect(&id, &rv, &[], None), "wrong_credentials", 3);
    // A refused token is forgotten by the viewer: the next attempt asks the person at the host.
    host.run(&["interactive", "never"]).ok();
    refused(&viewer.connect(&id, &rv, &[], None), "denied", 3);
    // A new token dies when the password is set again, even to the same value.
    host.run(&["save-login", "on"]).ok();
    assert_eq!(
        granted(&viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--remember"],
            Some(&pw(GOOD_PASSWORD))
        ))["token_saved"],
        true
    );
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &[], None))["method"],
        "token"
    );
    host.set_password("default", GOOD_PASSWORD).ok();
    refused(&viewer.connect(&id, &rv, &[], None), "wrong_credentials", 3);
    drop(h);
}

#[test]
fn ask_accept_lowered_deny_and_never() {
    let rv = Rendezvous::start(0, None);
    let host = Device::file();
    let h = host.start_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    // Accept with a permission withdrawn.
    let pending = viewer.spawn(
        &["connect", &id, "--rendezvous", &rv.url, "--probe", "--json"],
        None,
    );
    let req = wait_request(&host);
    assert_eq!(req["profile"], "default");
    assert_eq!(req["viewer"], viewer.status()["fingerprint"]);
    // Never here before: the window says so, whatever name the viewer gives.
    assert_eq!(req["seen"], "first_request");
    let rid = req["id"].as_str().expect("id");
    assert!(
        rid.len() == 16 && rid.bytes().all(|b| b.is_ascii_hexdigit()),
        "{rid}"
    );
    // An accept naming another viewer is refused, and the request keeps waiting.
    let other = Device::file();
    let fp = other.status()["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string();
    let m = host
        .run(&["accept", rid, "--viewer", &fp])
        .fails_with(2)
        .to_string();
    assert!(m.contains("is not from"), "{m}");
    assert_eq!(wait_request(&host)["id"], rid);
    host.run(&[
        "accept",
        rid,
        "--viewer",
        req["viewer"].as_str().expect("fp"),
        "--deny-permission",
        "control_input",
    ])
    .ok();
    let v = granted(&pending.finish(Duration::from_secs(30)));
    assert_eq!(v["method"], "accepted");
    let perms: Vec<_> = v["permissions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(perms.len(), 11);
    assert!(!perms.contains(&"control_input".to_string()));
    // Accept under another profile. The device had a session here now: known.
    let pending = viewer.spawn(
        &["connect", &id, "--rendezvous", &rv.url, "--probe", "--json"],
        None,
    );
    let req = wait_request(&host);
    assert_eq!(req["seen"], "known");
    assert_ne!(req["id"], rid, "ids are not reused");
    host.run(&[
        "accept",
        req["id"].as_str().expect("id"),
        "--profile",
        "screen_sharing",
    ])
    .ok();
    let v = granted(&pending.finish(Duration::from_secs(30)));
    assert_eq!(
        (v["profile"].clone(), v["permissions"].clone()),
        (Value::from("screen_sharing"), serde_json::json!([]))
    );
    // Deny.
    let pending = viewer.spawn(
        &["connect", &id, "--rendezvous", &rv.url, "--probe", "--json"],
        None,
    );
    let req = wait_request(&host);
    host.run(&["deny", req["id"].as_str().expect("id")]).ok();
    refused(&pending.finish(Duration::from_secs(30)), "denied", 3);
    host.run(&["accept", "999"]).fails_with(2);
    host.run(&["accept", "1", "--deny-permission", "teleport"])
        .fails_with(2);
    // `never`: refused at once, nobody is asked.
    host.run(&["interactive", "never"]).ok();
    let started = Instant::now();
    refused(&viewer.connect(&id, &rv, &[], None), "denied", 3);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        host.run(&["requests", "--json"]).json(),
        serde_json::json!([])
    );
    // `window` on a headless host counts as a closed window: refused too.
    host.run(&["interactive", "window"]).ok();
    refused(&viewer.connect(&id, &rv, &[], None), "denied", 3);
}

/// Poll `latchkey requests --json` until one request is pending.
fn wait_request(host: &Device) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = host.run(&["requests", "--json"]).json();
        if let Some(first) = list.as_array().and_then(|a| a.first()) {
            return first.clone();
        }
        assert!(Instant::now() < deadline, "no request appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn second_factor_required_wrong_replayed_right() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let secret = secret_from_enroll(host.run(&["2fa", "enroll"]).ok());
    let step = latchkey_store::config::now().0 / STEP_SECS;
    host.run(&["2fa", "confirm", &secret.code_at_step(step).expect("code")])
        .ok();
    let viewer = Device::file();
    refused(
        &viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))),
        "second_factor_required",
        3,
    );
    let next = secret.code_at_step(step + 1).expect("code");
    let wrong = if next == "000000" { "000001" } else { "000000" };
    refused(
        &viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--totp", wrong],
            Some(&pw(GOOD_PASSWORD)),
        ),
        "second_factor_invalid",
        3,
    );
    let v = granted(&viewer.connect(
        &id,
        &rv,
        &["--password-stdin", "--totp", &next],
        Some(&pw(GOOD_PASSWORD)),
    ));
    assert_eq!(v["method"], "password");
    // The same code again is a replay.
    refused(
        &viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--totp", &next],
            Some(&pw(GOOD_PASSWORD)),
        ),
        "second_factor_invalid",
        3,
    );
    // A wrong password is refused before any code is asked for.
    refused(
        &viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--totp", &next],
            Some("not-the-password-at-all\n"),
        ),
        "wrong_credentials",
        3,
    );
}

#[test]
fn throttled_after_repeated_failures() {
    let rv = Rendezvous::start(0, None);
    let (_host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    // Wrong passwords, waiting out each short back-off, until the host backs off for 7 s or more.
    let (free, backoff) = fail_until_backoff(&viewer, &id, &rv, 7);
    let when = Instant::now();
    assert!(
        free >= 4,
        "the first 3 failures are free; throttled after {free}"
    );
    // Even the right password is refused while backing off.
    let v = outcome(&viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
    // Time is counted in whole seconds: an N s back-off lasts at least N-1 s.
    assert!(
        when.elapsed() < Duration::from_secs(backoff - 1),
        "too slow to tell: {:?}",
        when.elapsed()
    );
    assert_eq!(v["error"], "throttled", "{v}");
}

#[test]
fn host_key_change_refused_then_accepted() {
    let rv = Rendezvous::start(0, None);
    let (_host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    granted(&viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
    // Pretend the host we met before had another key.
    let path = viewer.dir.join("known_hosts");
    let mut known: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("known_hosts")).expect("json");
    let real = known[&id]["key"].clone();
    known[&id]["key"] = Value::from("11".repeat(32));
    std::fs::write(&path, known.to_string()).expect("write");
    let run = viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD)));
    refused(&run, "host_key_changed", 5);
    assert!(run.stderr.contains("--accept-new-host-key"), "{run:?}");
    granted(&viewer.connect(
        &id,
        &rv,
        &["--password-stdin", "--accept-new-host-key"],
        Some(&pw(GOOD_PASSWORD)),
    ));
    let known: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("known_hosts")).expect("json");
    assert_eq!(known[&id]["key"], real);
    viewer.run(&["known-hosts", "forget", &id]).ok();
    viewer.run(&["known-hosts", "forget", &id]).fails_with(2);
}

#[test]
fn offline_unknown_and_bad_ids() {
    let rv = Rendezvous::start(0, None);
    let (host, mut h) = unattended_host(&rv);
    let id = h.id().to_string();
    h.kill();
    let viewer = Device::file();
    refused(&viewer.connect(&id, &rv, &[], None), "host_offline", 6);
    refused(
        &viewer.connect("999999999", &rv, &[], None),
        "unknown_id",
        6,
    );
    viewer
        .run(&["connect", "12345", "--rendezvous", &rv.url, "--probe"])
        .fails_with(2);
    viewer
        .run(&["connect", &id, "--rendezvous", "http://nope", "--probe"])
        .fails_with(2);
    drop(host);
}

#[test]
fn host_killed_mid_handshake_is_reported_quickly() {
    let rv = Rendezvous::start(0, None);
    let host = Device::file();
    let mut h = host.start_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    let pending = viewer.spawn(
        &["connect", &id, "--rendezvous", &rv.url, "--probe", "--json"],
        None,
    );
    wait_request(&host);
    let killed = Instant::now();
    h.kill();
    let run = pending.finish(Duration::from_secs(20));
    let took = killed.elapsed();
    refused(&run, "host_offline", 6);
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn host_survives_a_rendezvous_restart_with_the_same_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("ids.sqlite");
    let mut rv = Rendezvous::start(0, Some(&db));
    let (_host, mut h) = unattended_host(&rv);
    let id = h.id().to_string();
    let port = rv.port;
    rv.proc.kill();
    let rv = Rendezvous::start(port, Some(&db));
    let line = h.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(45));
    assert_eq!(
        line.rsplit("ID ").next().map(|s| s.replace(' ', "")),
        Some(id.clone())
    );
    let viewer = Device::file();
    granted(&viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
}

#[test]
fn real_keyring_on_both_sides() {
    let session = KeyringSession::start();
    let rv = Rendezvous::start(0, None);
    let host = Device::keyring(&session);
    host.set_password("default", GOOD_PASSWORD).ok();
    host.run(&["unattended", "on"]).ok();
    host.run(&["save-login", "on"]).ok();
    let h = host.start_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::keyring(&session);
    let v = granted(&viewer.connect(
        &id,
        &rv,
        &["--password-stdin", "--remember"],
        Some(&pw(GOOD_PASSWORD)),
    ));
    assert_eq!(v["token_saved"], true);
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &[], None))["method"],
        "token"
    );
    // The viewer's token lives in the keyring, not in its config dir.
    assert!(session.dump_items().contains(&format!("token-{id}")));
    assert!(!viewer.dir.join("secrets").exists());
}

#[test]
fn second_factor_applies_to_token_logins_unless_exempted() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    host.run(&["save-login", "on"]).ok();
    let viewer = Device::file();
    // Save a token before 2FA is on.
    assert_eq!(
        granted(&viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--remember"],
            Some(&pw(GOOD_PASSWORD))
        ))["token_saved"],
        true
    );
    let secret = secret_from_enroll(host.run(&["2fa", "enroll"]).ok());
    let step = latchkey_store::config::now().0 / STEP_SECS;
    host.run(&["2fa", "confirm", &secret.code_at_step(step).expect("code")])
        .ok();
    // By default a token login needs a code too.
    refused(
        &viewer.connect(&id, &rv, &[], None),
        "second_factor_required",
        3,
    );
    let code = secret.code_at_step(step + 1).expect("code");
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &["--totp", &code], None))["method"],
        "token"
    );
    // Exempted: the token alone is enough again.
    host.run(&["2fa", "tokens", "off"]).ok();
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &[], None))["method"],
        "token"
    );
    // Password logins still need the code.
    refused(
        &viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))),
        "second_factor_required",
        3,
    );
}

#[test]
fn waiting_requests_are_capped_and_do_not_block_password_logins() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let asker = Device::file();
    asker.status();
    // One address may have 2 requests waiting (tests/cli/throttle.rs tests the cap of 8 in all).
    let waiting: Vec<Proc> = (0..2)
        .map(|_| {
            asker.spawn(
                &["connect", &id, "--rendezvous", &rv.url, "--probe", "--json"],
                None,
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while host
        .run(&["requests", "--json"])
        .json()
        .as_array()
        .map(|a| a.len())
        != Some(2)
    {
        assert!(Instant::now() < deadline, "2 requests never appeared");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A third from the same address is refused at once instead of queueing.
    refused(&asker.connect(&id, &rv, &[], None), "denied", 3);
    // Unattended logins are not held up by people who are waiting.
    granted(&Device::file().connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
    for r in host
        .run(&["requests", "--json"])
        .json()
        .as_array()
        .expect("list")
    {
        host.run(&["deny", r["id"].as_str().expect("id")]).ok();
    }
    for p in waiting {
        refused(&p.finish(Duration::from_secs(30)), "denied", 3);
    }
}

#[test]
fn acl_listed_viewer_logs_in_unlisted_refused_before_asking_profile_limited() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    host.set_password("screen_sharing", OTHER_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", "screen_sharing"])
        .ok();
    let id = h.id().to_string();
    let listed = Device::file();
    let limited = Device::file();
    let stranger = Device::file();
    let fp = |d: &Device| d.status()["fingerprint"].as_str().expect("fp").to_string();
    host.run(&["acl", "add", &fp(&listed)]).ok();
    host.run(&["acl", "add", &fp(&limited), "--profile", "screen_sharing"])
        .ok();
    host.run(&["acl", "on"]).ok();

    // Listed: logs in with its password.
    granted(&listed.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
    // Unlisted: refused even with the right password.
    refused(
        &stranger.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))),
        "denied",
        3,
    );
    // Unlisted, no credential: refused at once, nobody is asked (the accept
    // window would hold it for up to 60 s).
    let started = Instant::now();
    refused(&stranger.connect(&id, &rv, &[], None), "denied", 3);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        host.run(&["requests", "--json"]).json(),
        serde_json::json!([])
    );
    // Limited to screen_sharing: that profile works, another is refused.
    let v = granted(&limited.connect(
        &id,
        &rv,
        &["--profile", "screen_sharing", "--password-stdin"],
        Some(&pw(OTHER_PASSWORD)),
    ));
    assert_eq!(v["profile"], "screen_sharing");
    refused(
        &limited.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))),
        "denied",
        3,
    );
    // Nor can the person at the host grant it a profile the list withholds.
    let pending = limited.spawn(
        &[
            "connect",
            &id,
            "--rendezvous",
            &rv.url,
            "--profile",
            "screen_sharing",
            "--probe",
            "--json",
        ],
        None,
    );
    let req = wait_request(&host);
    host.run(&[
        "accept",
        req["id"].as_str().expect("id"),
        "--profile",
        "full_access",
    ])
    .ok();
    refused(&pending.finish(Duration::from_secs(30)), "denied", 3);

    // The audit log says why, with the viewer's fingerprint.
    let audit = host.run(&["audit", "--json"]).json();
    let acl_refusals: Vec<_> = audit
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["event"] == "access_decision" && r["reason"] == "not_on_acl")
        .map(|r| {
            (
                r["viewer"].as_str().unwrap_or("").to_string(),
                r["method"].as_str().unwrap_or("").to_string(),
                r["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let s = fp(&stranger);
    let l = fp(&limited);
    assert_eq!(
        acl_refusals,
        vec![
            (s.clone(), "password".into(), "refused".into()),
            (s.clone(), "ask".into(), "refused".into()),
            (l.clone(), "password".into(), "refused".into()),
            (l.clone(), "ask".into(), "refused".into()),
        ]
    );
    // Off again: anyone may log in.
    host.run(&["acl", "off"]).ok();
    granted(&stranger.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD))));
    drop(h);
}

#[test]
fn unattended_off_ends_a_live_token_for_good() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    host.run(&["save-login", "on"]).ok();
    host.run(&["interactive", "never"]).ok();
    let viewer = Device::file();
    assert_eq!(
        granted(&viewer.connect(
            &id,
            &rv,
            &["--password-stdin", "--remember"],
            Some(&pw(GOOD_PASSWORD))
        ))["token_saved"],
        true
    );
    assert_eq!(
        granted(&viewer.connect(&id, &rv, &[], None))["method"],
        "token"
    );
    let secrets = std::fs::read_to_string(viewer.dir.join("secrets")).expect("secrets");
    host.run(&["unattended", "off"]).ok();
    assert_eq!(host.status()["tokens"], 0);
    host.run(&["unattended", "on"]).ok();
    // The viewer still holds its token (put back in case a refusal made it forget).
    std::fs::write(viewer.dir.join("secrets"), secrets).expect("restore");
    refused(&viewer.connect(&id, &rv, &[], None), "wrong_credentials", 3);
    drop(h);
}
