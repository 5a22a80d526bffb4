//! The admin commands end to end through the binary, with the file secret store.

use latchkey_core::identity::DeviceKey;
use latchkey_core::totp::STEP_SECS;
use latchkey_e2e::cli::*;
use latchkey_store::ops;
use rand_core::OsRng;
use serde_json::json;

#[test]
fn fresh_install_defaults_in_status() {
    let d = Device::file();
    let s = d.status();
    assert_eq!(s["interactive"], "always");
    assert_eq!(s["save_login"], false);
    assert_eq!(s["two_factor"]["enabled"], false);
    assert_eq!(s["default_profile"], "default");
    assert_eq!(s["tokens"], 0);
    let fp = s["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fp.len(), 19);
    let profiles = s["profiles"].as_array().expect("profiles");
    let names: Vec<_> = profiles
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["default", "full_access", "screen_sharing", "unattended"]
    );
    for p in profiles {
        assert_eq!(p["unattended"], false);
        assert_eq!(p["has_password"], false);
        assert_eq!(p["enabled"], true);
    }
    assert_eq!(profiles[2]["permissions"], json!([]));
    assert_eq!(
        profiles[1]["permissions"].as_array().map(|a| a.len()),
        Some(14)
    );
    // The fingerprint is stable across runs.
    assert_eq!(d.status()["fingerprint"], fp);
}

#[test]
fn password_set_verify_clear_and_unattended() {
    let d = Device::file();
    d.run(&["unattended", "on"]).fails_with(2);
    d.set_password("default", GOOD_PASSWORD).ok();
    d.run_stdin(
        &["password", "verify"],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
    .ok();
    d.run_stdin(&["password", "verify"], b"kettle-orbit-cactus-72\n")
        .fails_with(3);
    d.run(&["unattended", "on"]).ok();
    let p = d.run(&["profile", "show", "default", "--json"]).json();
    assert_eq!(p["unattended"], true);
    assert_eq!(p["has_password"], true);
    // Per-profile passwords are independent.
    d.set_password("full_access", OTHER_PASSWORD).ok();
    d.run_stdin(
        &["password", "verify", "--profile", "full_access"],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
    .fails_with(3);
    d.run_stdin(
        &["password", "verify", "--profile", "full_access"],
        format!("{OTHER_PASSWORD}\n").as_bytes(),
    )
    .ok();
    d.run(&["password", "clear"]).ok();
    let p = d.run(&["profile", "show", "default", "--json"]).json();
    assert_eq!(p["unattended"], false);
    assert_eq!(p["has_password"], false);
    d.run_stdin(
        &["password", "verify"],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
    .fails_with(3);
    // A weak password is refused and changes nothing.
    let before = d.snapshot();
    let msg = d
        .set_password("default", "Password1")
        .fails_with(2)
        .to_string();
    assert!(msg.contains("refused"), "{msg}");
    assert_eq!(before, d.snapshot());
}

#[test]
fn strength_prints_json() {
    let d = Device::file();
    let weak = d.run_stdin(&["password", "strength"], b"12345678\n").json();
    assert_eq!(weak["acceptable"], false);
    assert!(weak["score"].as_u64().expect("score") <= 1);
    assert!(!weak["warnings"].as_array().expect("warnings").is_empty());
    let strong = d
        .run_stdin(&["password", "strength"], b"correct horse battery staple\n")
        .json();
    assert_eq!(strong["acceptable"], true);
    assert!(strong["score"].as_u64().expect("score") >= 3);
    let short = d
        .run_stdin(&["password", "strength"], b"vG7#pL2q!z\n")
        .json();
    assert!(short["warnings"].to_string().contains("12 or more"));
    let empty = d.run_stdin(&["password", "strength"], b"").json();
    assert_eq!(empty["acceptable"], false);
    assert_eq!(empty["score"], 0);
}

fn unattended_host() -> (Device, latchkey_store::Config) {
    let d = Device::file();
    d.set_password("default", GOOD_PASSWORD).ok();
    d.run(&["unattended", "on"]).ok();
    d.run(&["save-login", "on"]).ok();
    let c = d.open();
    (d, c)
}

#[test]
fn tokens_list_revoke_clear_and_password_epoch() {
    let (d, mut c) = unattended_host();
    let viewer = DeviceKey::generate(&mut OsRng).public();
    let at = epoch(&c);
    let (token, issued) =
        ops::issue_token(&mut c, viewer, "default", at, "ana-laptop").expect("issue");
    let at = epoch(&c);
    let (_t2, issued2) =
        ops::issue_token(&mut c, viewer, "default", at, "ana-phone").expect("issue");
    let list = d.run(&["tokens", "list", "--json"]).json();
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], issued.id);
    assert_eq!(list[0]["label"], "ana-laptop");
    assert_eq!(list[0]["profile"], "default");
    assert!(list[0]["created"].as_str().expect("created").ends_with('Z'));
    assert_eq!(list[0]["last_used"], serde_json::Value::Null);
    assert_eq!(d.status()["tokens"], 2);
    d.run(&["tokens", "revoke", &issued2.id]).ok();
    d.run(&["tokens", "revoke", &issued2.id]).fails_with(2);
    assert_eq!(d.status()["tokens"], 1);

    // The token still verifies until the password is set again, even to the same value.
    assert!(d.token_works(&token, &viewer));
    d.set_password("default", GOOD_PASSWORD).ok();
    assert!(!d.token_works(&token, &viewer));
    assert_eq!(d.status()["tokens"], 0);

    // Saving login info off: existing tokens keep working, new ones are refused.
    d.run(&["unattended", "on"]).ok();
    let mut c = d.open();
    let at = epoch(&c);
    let (token, _) = ops::issue_token(&mut c, viewer, "default", at, "x").expect("issue");
    d.run(&["save-login", "off"]).ok();
    let mut c = d.open();
    let at = epoch(&c);
    assert!(ops::issue_token(&mut c, viewer, "default", at, "y").is_err());
    assert!(d.token_works(&token, &viewer));
    d.run(&["tokens", "clear"]).ok();
    assert_eq!(d.status()["tokens"], 0);
    let audit = d.run(&["audit", "--json"]).json();
    let events: Vec<_> = audit
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["event"].as_str().expect("event").to_string())
        .collect();
    for e in [
        "password_set",
        "unattended_changed",
        "save_login_changed",
        "token_issued",
        "token_revoked",
        "tokens_cleared",
    ] {
        assert!(events.iter().any(|x| x == e), "{e} missing from {events:?}");
    }
}

#[test]
fn unattended_off_ends_the_profiles_tokens_and_on_again_does_not_revive_them() {
    let (d, _) = unattended_host();
    d.set_password("screen_sharing", OTHER_PASSWORD).ok();
    d.run(&["unattended", "on", "--profile", "screen_sharing"])
        .ok();
    let mut c = d.open();
    let viewer = DeviceKey::generate(&mut OsRng).public();
    let at = |c: &latchkey_store::Config, p: &str| {
        c.settings().profiles.get(p).map(|p| p.epoch).unwrap_or(0)
    };
    let e = at(&c, "default");
    let (token, _) = ops::issue_token(&mut c, viewer, "default", e, "ana").expect("issue");
    let e = at(&c, "screen_sharing");
    let (other, _) = ops::issue_token(&mut c, viewer, "screen_sharing", e, "ana").expect("issue");
    assert!(d.token_works(&token, &viewer) && d.token_works(&other, &viewer));
    let out = d.run(&["unattended", "off"]).ok().to_string();
    assert!(out.contains("saved logins have ended"), "{out}");
    assert!(!d.token_works(&token, &viewer));
    d.run(&["unattended", "on"]).ok();
    assert!(!d.token_works(&token, &viewer), "back on: still dead");
    assert!(
        d.token_works(&other, &viewer),
        "another profile's token lives"
    );
    assert_eq!(d.status()["tokens"], 1);
    let audit = d.run(&["audit", "--json"]).json();
    assert!(
        audit
            .as_array()
            .expect("list")
            .iter()
            .any(|r| r["event"] == "unattended_changed"
                && r["on"] == false
                && r["tokens_revoked"] == 1),
        "{audit}"
    );
}

#[test]
fn acl_add_list_remove_on_off_audited() {
    let d = Device::file();
    let a = DeviceKey::generate(&mut OsRng).public().fingerprint();
    let b = DeviceKey::generate(&mut OsRng).public().fingerprint();
    assert_eq!(
        d.run(&["acl", "list", "--json"]).json(),
        json!({"enabled": false, "entries": []})
    );
    d.run(&["acl", "add", &a.to_lowercase()]).ok();
    d.run(&[
        "acl",
        "add",
        &b,
        "--profile",
        "screen_sharing",
        "--profile",
        "default",
    ])
    .ok();
    d.run(&["acl", "on"]).ok();
    assert_eq!(
        d.run(&["acl", "list", "--json"]).json(),
        json!({"enabled": true, "entries": [
            {"fingerprint": a, "profiles": []},
            {"fingerprint": b, "profiles": ["default", "screen_sharing"]},
        ]})
    );
    // Adding again replaces the limits.
    d.run(&["acl", "add", &b.replace('-', "")]).ok();
    d.run(&["acl", "remove", &a]).ok();
    d.run(&["acl", "remove", &a]).fails_with(2);
    d.run(&["acl", "off"]).ok();
    assert_eq!(
        d.run(&["acl", "list", "--json"]).json(),
        json!({"enabled": false, "entries": [{"fingerprint": b, "profiles": []}]})
    );
    let text = d.run(&["acl", "list"]).ok().to_string();
    assert!(text.contains(&b) && text.contains("off"), "{text}");
    let events: Vec<String> = d
        .run(&["audit", "--json"])
        .json()
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["event"].as_str().unwrap_or("").to_string())
        .collect();
    for e in ["acl_entry_added", "acl_entry_removed", "acl_changed"] {
        assert!(events.iter().any(|x| x == e), "{e} missing from {events:?}");
    }
}

#[test]
fn interactive_and_save_login() {
    let d = Device::file();
    for mode in ["window", "never", "always"] {
        d.run(&["interactive", mode]).ok();
        assert_eq!(d.status()["interactive"], mode);
    }
    d.run(&["interactive", "sometimes"]).fails_with(2);
    d.run(&["save-login", "on"]).ok();
    assert_eq!(d.status()["save_login"], true);
}

#[test]
fn profiles_create_copy_rename_delete_permissions() {
    let d = Device::file();
    d.run(&["profile", "create", "helpdesk"]).ok();
    assert_eq!(
        d.run(&["profile", "show", "helpdesk", "--json"]).json()["permissions"],
        json!([])
    );
    d.run(&["profile", "create", "admins", "--from", "full_access"])
        .ok();
    assert_eq!(
        d.run(&["profile", "show", "admins", "--json"]).json()["permissions"]
            .as_array()
            .map(|a| a.len()),
        Some(14)
    );
    d.run(&["profile", "create", "admins"]).fails_with(2);
    d.run(&["profile", "create", "Bad Name"]).fails_with(2);
    d.run(&["profile", "create", &"x".repeat(33)]).fails_with(2);
    d.run(&["profile", "set", "helpdesk", "clipboard", "on"])
        .ok();
    d.run(&["profile", "set", "helpdesk", "control_input", "on"])
        .ok();
    d.run(&["profile", "set", "helpdesk", "clipboard", "off"])
        .ok();
    assert_eq!(
        d.run(&["profile", "show", "helpdesk", "--json"]).json()["permissions"],
        json!(["control_input"])
    );
    d.run(&["profile", "rename", "helpdesk", "support"]).ok();
    d.run(&["profile", "show", "helpdesk"]).fails_with(2);
    d.run(&["profile", "rename", "default", "main"])
        .fails_with(2);
    d.run(&["profile", "delete", "screen_sharing"])
        .fails_with(2);
    d.run(&["profile", "disable", "default"]).fails_with(2);
    d.run(&["profile", "disable", "support"]).ok();
    assert_eq!(
        d.run(&["profile", "show", "support", "--json"]).json()["enabled"],
        false
    );
    d.run(&["profile", "default", "support"]).fails_with(2);
    d.run(&["profile", "enable", "support"]).ok();
    d.run(&["profile", "default", "support"]).ok();
    assert_eq!(d.status()["default_profile"], "support");
    d.run(&["profile", "delete", "support"]).fails_with(2);
    // --profile defaults to the default profile.
    d.set_password("support", GOOD_PASSWORD).ok();
    d.run_stdin(
        &["password", "verify"],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
    .ok();
    d.run(&["profile", "default", "default"]).ok();
    d.run(&["profile", "delete", "support"]).ok();
    d.run(&["profile", "disable", "full_access"]).ok();
    d.run(&["profile", "enable", "full_access"]).ok();
    let list = d.run(&["profile", "list", "--json"]).json();
    let names: Vec<_> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["name"].as_str().expect("n").to_string())
        .collect();
    assert_eq!(
        names,
        [
            "default",
            "full_access",
            "screen_sharing",
            "unattended",
            "admins"
        ]
    );
}

fn current_step() -> u64 {
    latchkey_store::config::now().0 / STEP_SECS
}

#[test]
fn two_factor_enroll_confirm_disable() {
    let d = Device::file();
    d.run(&["2fa", "confirm", "123456"]).fails_with(2);
    let qr = d.dir.with_file_name("qr.svg");
    let out = d
        .run(&["2fa", "enroll", "--qr", qr.to_str().expect("utf8")])
        .ok()
        .to_string();
    assert!(out.contains("otpauth://totp/Latchkey:"));
    let svg = std::fs::read_to_string(&qr).expect("qr written");
    assert!(svg.contains("<svg"));
    let st = d.run(&["2fa", "status", "--json"]).json();
    assert_eq!(st["pending"], true);
    assert_eq!(st["enabled"], false);
    let secret = secret_from_enroll(&out);
    let right = secret.code_at_step(current_step()).expect("code");
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    d.run(&["2fa", "confirm", wrong]).fails_with(3);
    d.run(&["2fa", "confirm", "12ab"]).fails_with(2);
    assert_eq!(d.status()["two_factor"]["enabled"], false);
    let out = d.run(&["2fa", "confirm", &right]).ok().to_string();
    let codes: Vec<_> = out
        .lines()
        .filter(|l| l.starts_with("  ") && l.trim().len() == 19)
        .collect();
    assert_eq!(codes.len(), 10, "{out}");
    let st = d.run(&["2fa", "status", "--json"]).json();
    assert_eq!(
        st,
        json!({"enabled": true, "pending": false, "apply_to_tokens": true, "apply_to_reconnect": true, "recovery_codes_left": 10})
    );
    // Recovery codes are stored only as hashes.
    let settings = std::fs::read_to_string(d.dir.join("settings.json")).expect("settings");
    for c in &codes {
        assert!(!settings.contains(c.trim()) && !settings.contains(&c.trim().replace('-', "")));
    }
    d.run(&["2fa", "enroll"]).fails_with(2);
    d.run(&["2fa", "tokens", "off"]).ok();
    d.run(&["2fa", "reconnect", "off"]).ok();
    let st = d.run(&["2fa", "status", "--json"]).json();
    assert_eq!(
        (
            st["apply_to_tokens"].clone(),
            st["apply_to_reconnect"].clone()
        ),
        (json!(false), json!(false))
    );
    d.run(&["2fa", "disable"]).ok();
    assert_eq!(d.status()["two_factor"]["enabled"], false);
    let secrets = std::fs::read_to_string(d.dir.join("secrets")).expect("secrets");
    assert!(
        !secrets.contains("\"totp"),
        "the TOTP secret is forgotten on disable"
    );
}

#[test]
fn audit_tail_and_text() {
    let d = Device::file();
    d.run(&["save-login", "on"]).ok();
    d.run(&["interactive", "never"]).ok();
    d.run(&["save-login", "off"]).ok();
    let tail = d.run(&["audit", "--json", "--tail", "2"]).json();
    let tail = tail.as_array().expect("list");
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[0]["event"], "interactive_changed");
    assert_eq!(tail[0]["mode"], "never");
    assert_eq!(tail[1]["event"], "save_login_changed");
    let text = d.run(&["audit"]).ok().to_string();
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().all(|l| l.contains('T') && l.contains('Z')));
}
