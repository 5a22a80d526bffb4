//! Bad input: each case gets its exit code and a one-line message, and the
//! stored state stays exactly as it was.

use latchkey_e2e::cli::*;
use std::process::Command;

/// A configured device (password, unattended on) and a snapshot of its files.
fn configured() -> Device {
    let d = Device::file();
    d.set_password("default", GOOD_PASSWORD).ok();
    d.run(&["unattended", "on"]).ok();
    d.status();
    d
}

fn unchanged(d: &Device, args: &[&str], stdin: Option<&[u8]>, code: i32) -> String {
    let before = d.snapshot();
    let run = match stdin {
        Some(input) => d.run_stdin(args, input),
        None => d.run(args),
    };
    let msg = run.fails_with(code).to_string();
    assert!(msg.starts_with("latchkey: "), "{msg}");
    assert_eq!(before, d.snapshot(), "{args:?} changed the stored state");
    msg
}

#[test]
fn unknown_command_profile_permission() {
    let d = configured();
    unchanged(&d, &["frobnicate"], None, 2);
    unchanged(&d, &["profile", "fly"], None, 2);
    unchanged(&d, &["status", "--bogus"], None, 2);
    let m = unchanged(
        &d,
        &["password", "set", "--profile", "ghost"],
        Some(b"kettle-orbit-cactus-71\n"),
        2,
    );
    assert!(m.contains("unknown profile 'ghost'"), "{m}");
    unchanged(&d, &["unattended", "on", "--profile", "ghost"], None, 2);
    unchanged(&d, &["profile", "show", "ghost"], None, 2);
    let m = unchanged(
        &d,
        &["profile", "set", "default", "teleport", "on"],
        None,
        2,
    );
    assert!(m.contains("unknown permission 'teleport'"), "{m}");
    unchanged(
        &d,
        &["profile", "set", "default", "clipboard", "maybe"],
        None,
        2,
    );
    unchanged(&d, &["tokens", "revoke", "0000"], None, 2);
    // The access control list takes well-formed fingerprints only.
    for bad in ["ABCD-EFGH", "ABCD-EFGH-IJKL-MNO1", "not a fingerprint", ""] {
        let m = unchanged(&d, &["acl", "add", bad], None, 2);
        assert!(m.contains("not a device key fingerprint"), "{m}");
    }
    let m = unchanged(&d, &["acl", "add", "123 456 789"], None, 2);
    assert!(m.contains("key fingerprint"), "{m}");
    unchanged(
        &d,
        &["acl", "add", "ABCD-EFGH-IJKL-MNOP", "--profile", "ghost"],
        None,
        2,
    );
    unchanged(&d, &["acl", "remove", "ABCD-EFGH-IJKL-MNOP"], None, 2);
    unchanged(&d, &["acl", "maybe"], None, 2);
    unchanged(&d, &["--secret-store", "keyring", "status"], None, 2);
}

#[test]
fn empty_and_huge_passwords() {
    let d = configured();
    let m = unchanged(&d, &["password", "set"], Some(b""), 2);
    assert!(m.contains("empty"), "{m}");
    unchanged(&d, &["password", "set"], Some(b"\n"), 2);
    let huge = vec![b'x'; 10 * 1024 * 1024];
    let m = unchanged(&d, &["password", "set"], Some(&huge), 2);
    assert!(m.contains("longer than"), "{m}");
    unchanged(&d, &["password", "verify"], Some(&huge), 2);
    unchanged(&d, &["password", "strength"], Some(&huge), 2);
    unchanged(
        &d,
        &["password", "set"],
        Some(&[0xff, 0xfe, 0x00, b'\n']),
        2,
    );
    // The old password still works.
    d.run_stdin(
        &["password", "verify"],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    )
    .ok();
}

#[test]
fn corrupt_or_newer_settings_are_refused_and_kept() {
    let d = configured();
    let path = d.dir.join("settings.json");
    for bad in [
        &b"{ this is not json"[..],
        b"",
        b"\x00\x01\x02",
        br#"{"version": 2}"#,
    ] {
        std::fs::write(&path, bad).expect("damage");
        let m = unchanged(&d, &["status"], None, 1);
        assert!(
            m.contains("settings.json") && m.contains("left untouched"),
            "{m}"
        );
        unchanged(&d, &["save-login", "on"], None, 1);
        unchanged(
            &d,
            &["password", "set"],
            Some(b"unlikely walrus umbrella 9\n"),
            1,
        );
        assert_eq!(std::fs::read(&path).expect("read"), bad);
    }
    std::fs::write(&path, br#"{"version": 99, "from": "the future"}"#).expect("newer");
    let m = unchanged(&d, &["status"], None, 1);
    assert!(m.contains("version 99") && m.contains("newer"), "{m}");
}

/// Make `dir` read-only, even for root (chattr +i), until dropped.
struct ReadOnly(std::path::PathBuf);

impl ReadOnly {
    fn new(dir: &std::path::Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500)).expect("chmod");
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false);
        if is_root {
            let ok = Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "as root, a read-only directory needs 'chattr +i' (e2fsprogs) on a filesystem that supports it");
        }
        ReadOnly(dir.to_path_buf())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
    }
}

#[test]
fn read_only_config_dir() {
    let d = configured();
    let _ro = ReadOnly::new(&d.dir);
    let m = unchanged(&d, &["save-login", "on"], None, 1);
    assert!(m.contains(&d.dir.display().to_string()), "{m}");
    unchanged(
        &d,
        &["password", "set"],
        Some(b"unlikely walrus umbrella 9\n"),
        1,
    );
    unchanged(&d, &["profile", "create", "newone"], None, 1);
    unchanged(&d, &["2fa", "enroll"], None, 1);
    // Reading still works.
    assert_eq!(d.status()["save_login"], false);
}

#[test]
fn store_failure_leaves_settings_alone() {
    // A damaged secrets file: refused, never overwritten.
    let d = configured();
    std::fs::write(d.dir.join("secrets"), b"{broken").expect("damage");
    let m = unchanged(
        &d,
        &["password", "set"],
        Some(b"unlikely walrus umbrella 9\n"),
        1,
    );
    assert!(m.contains("damaged"), "{m}");
    unchanged(&d, &["status"], None, 1);
}

#[test]
fn rendezvous_refuses_a_bad_trusted_proxy_range() {
    let d = configured();
    for bad in ["10.0.0.0/33", "proxy.example", "::1/129", "10.0.0.0/"] {
        let m = unchanged(
            &d,
            &[
                "rendezvous",
                "--listen",
                "127.0.0.1:0",
                "--trusted-proxy",
                bad,
            ],
            None,
            2,
        );
        assert!(m.contains("not an address range"), "{m}");
    }
}
