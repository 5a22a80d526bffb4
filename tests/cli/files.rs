//! The file manager between real processes on loopback: `latchkey ls`, `cp`
//! (both ways, a 200 MiB random file and a tree of 2,000 small files, SHA-256
//! identical after), a copy killed half way and repeated (it resumes, sends
//! less, ends identical, leaves no temporary file), refusals without
//! `file_manager` (exit 3 `permission`, audited), and bad input.
//!
//! The host runs as root, as a system service does: its file operations run
//! with the rights of the desktop's user, a throwaway user this suite makes,
//! whose graphical session a fake `loginctl` reports. These tests need root
//! (to make that user and mount a small tmpfs) and fail without it.

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop_user::{root_cmd, RootHost as Setup};
use latchkey_e2e::trees::{sha256_file, tree};
use rand_core::{OsRng, RngCore};
use serde_json::Value;

fn ok_json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{run:?}");
    let v = outcome(run);
    assert_eq!(v["ok"], true, "{run:?}");
    v
}

fn failed(run: &Run, error: &str, code: i32) -> Value {
    refused(run, error, code)
}

fn random_file(path: &Path, size: usize) {
    let mut rng = OsRng;
    let mut f = std::fs::File::create(path).expect("create");
    let mut left = size;
    let mut buf = vec![0u8; 1 << 20];
    while left > 0 {
        let n = left.min(buf.len());
        rng.fill_bytes(&mut buf[..n]);
        std::io::Write::write_all(&mut f, &buf[..n]).expect("write");
        left -= n;
    }
}

/// Temporary copies left anywhere under `root`.
fn parts(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(items) = std::fs::read_dir(&dir) else {
            continue;
        };
        for item in items.flatten() {
            let p = item.path();
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".latchkey-part"))
            {
                out.push(p.clone());
            }
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                todo.push(p);
            }
        }
    }
    out
}

const BIG: usize = 200 * 1024 * 1024;

#[test]
fn ls_and_cp_both_ways_keep_a_big_file_and_a_tree_identical() {
    let s = Setup::new("a", "full_access");
    let local = tempfile::tempdir().expect("tempdir");
    // A 200 MiB random file, up and down again.
    let big = local.path().join("big.bin");
    random_file(&big, BIG);
    let want = sha256_file(&big);
    let up = ok_json(&s.lk(&["cp", big.to_str().expect("utf-8"), &s.at("~/")]));
    assert_eq!(up["bytes"], BIG as u64, "{up}");
    println!(
        "200 MiB up: {:.1} MiB/s ({:.1} s)",
        up["mib_per_s"].as_f64().unwrap_or(0.0),
        up["seconds"].as_f64().unwrap_or(0.0)
    );
    let on_host = s.user.home.join("big.bin");
    assert_eq!(sha256_file(&on_host), want);
    assert_eq!(
        std::fs::metadata(&on_host).expect("meta").uid(),
        s.user.uid,
        "written as the desktop's user"
    );
    let back = local.path().join("back.bin");
    let down = ok_json(&s.lk(&["cp", &s.at("big.bin"), back.to_str().expect("utf-8")]));
    println!(
        "200 MiB down: {:.1} MiB/s ({:.1} s)",
        down["mib_per_s"].as_f64().unwrap_or(0.0),
        down["seconds"].as_f64().unwrap_or(0.0)
    );
    assert_eq!(sha256_file(&back), want);

    // ls sees it, with its size, kind and mode.
    let ls = ok_json(&s.lk(&["ls", &s.at("~")]));
    let entry = ls["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["name"] == "big.bin")
        .cloned()
        .unwrap_or_else(|| panic!("{ls}"));
    assert_eq!(entry["kind"], "file");
    assert_eq!(entry["size"], BIG as u64);
    assert!(entry["mtime"].as_i64().is_some());
    assert!(entry["mode"].as_u64().is_some());

    // A tree of 2,000 small files (with modes and a link), up and down.
    let src = local.path().join("tree");
    let mut rng = OsRng;
    for d in 0..20 {
        let dir = src.join(format!("d{d:02}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..100 {
            let mut bytes = vec![0u8; (rng.next_u32() % 4000) as usize];
            rng.fill_bytes(&mut bytes);
            let p = dir.join(format!("f{f:03}.dat"));
            std::fs::write(&p, &bytes).expect("write");
            if f % 10 == 0 {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o750))
                    .expect("chmod");
            }
        }
    }
    std::os::unix::fs::symlink("d00/f000.dat", src.join("link")).expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", src.join("outside")).expect("symlink");
    let t0 = Instant::now();
    let up = ok_json(&s.lk(&["cp", "-r", src.to_str().expect("utf-8"), &s.at("")]));
    println!("2,000 files up in {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(up["files"], 2000, "{up}");
    assert_eq!(up["links"], 2, "{up}");
    assert_eq!(tree(&s.user.home.join("tree")), tree(&src));
    let dst = local.path().join("copy");
    std::fs::create_dir(&dst).expect("mkdir");
    let t0 = Instant::now();
    let down = ok_json(&s.lk(&["cp", "-r", &s.at("tree"), dst.to_str().expect("utf-8")]));
    println!("2,000 files down in {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(down["files"], 2000, "{down}");
    assert_eq!(tree(&dst.join("tree")), tree(&src));
    // The link out of the tree was copied as a link, not followed.
    assert!(std::fs::symlink_metadata(dst.join("tree/outside"))
        .expect("meta")
        .file_type()
        .is_symlink());
    assert!(parts(&s.user.home).is_empty());
    assert!(parts(local.path()).is_empty());

    // mkdir, mv, rm.
    ok_json(&s.lk(&["mkdir", &s.at("~/made")]));
    assert!(s.user.home.join("made").is_dir());
    ok_json(&s.lk(&["mv", &s.at("big.bin"), &s.at("made/moved.bin")]));
    assert!(s.user.home.join("made/moved.bin").is_file());
    failed(&s.lk(&["rm", &s.at("made")]), "exists", 2);
    ok_json(&s.lk(&["rm", "-r", &s.at("made")]));
    ok_json(&s.lk(&["rm", "-r", &s.at("tree")]));
    assert!(!s.user.home.join("made").exists());
}

#[test]
fn a_copy_killed_half_way_resumes_when_repeated_and_ends_identical() {
    let s = Setup::new("b", "full_access");
    let local = tempfile::tempdir().expect("tempdir");
    let big = local.path().join("resume.bin");
    random_file(&big, BIG);
    let part = s.user.home.join(".resume.bin.latchkey-part");
    let args = [
        "cp",
        big.to_str().expect("utf-8"),
        &s.at("~/resume.bin"),
        "--rendezvous",
        &s.rv.url,
        "--profile",
        s.profile,
        "--password-stdin",
        "--json",
    ];
    let env = s.logind.env();
    let refs: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut cp = s.viewer.spawn_piped_env(&args, &refs);
    cp.send(GOOD_PASSWORD);
    // Wait until the host's temporary copy holds a good part, then kill the copy.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut grown = 0;
    while Instant::now() < deadline {
        grown = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if grown > (BIG / 3) as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cp.kill();
    assert!(
        grown > (BIG / 3) as u64,
        "the temporary copy grew to {grown} only"
    );
    assert!(
        !s.user.home.join("resume.bin").exists(),
        "no half file under the real name"
    );
    // The host notices the viewer gone; the copy is repeated.
    let again = ok_json(&s.lk(&["cp", big.to_str().expect("utf-8"), &s.at("~/resume.bin")]));
    let sent = again["sent"].as_u64().expect("sent");
    let resumed = again["resumed"].as_u64().expect("resumed");
    println!("resumed: {resumed} bytes kept, {sent} sent");
    assert!(resumed > 0 && sent < BIG as u64, "{again}");
    assert_eq!(sent + resumed, BIG as u64);
    assert_eq!(
        sha256_file(&s.user.home.join("resume.bin")),
        sha256_file(&big)
    );
    assert!(parts(&s.user.home).is_empty(), "{:?}", parts(&s.user.home));
    // Repeated once more, the same file copies whole again (nothing to resume).
    let third = ok_json(&s.lk(&["cp", big.to_str().expect("utf-8"), &s.at("~/resume.bin")]));
    assert_eq!(third["resumed"], 0, "{third}");
}

#[test]
fn without_file_manager_every_file_command_is_refused_and_audited() {
    let s = Setup::new("c", "screen_sharing");
    let local = tempfile::tempdir().expect("tempdir");
    let f = local.path().join("f.txt");
    std::fs::write(&f, "x").expect("write");
    std::fs::write(s.user.home.join("there.txt"), "y").expect("write");
    let f = f.to_str().expect("utf-8");
    let back = local.path().join("back.txt");
    for args in [
        vec!["ls".to_string(), s.at("~")],
        vec!["cp".into(), f.into(), s.at("~/f.txt")],
        vec![
            "cp".into(),
            s.at("there.txt"),
            back.to_str().expect("utf-8").into(),
        ],
        vec!["mkdir".into(), s.at("d")],
        vec!["rm".into(), s.at("there.txt")],
        vec!["mv".into(), s.at("there.txt"), s.at("moved.txt")],
    ] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let v = failed(&s.lk(&refs), "permission", 3);
        assert!(
            v["message"].as_str().unwrap_or("").contains("file_manager"),
            "{v}"
        );
    }
    assert!(s.user.home.join("there.txt").exists());
    assert!(!s.user.home.join("f.txt").exists() && !back.exists());
    let dropped = latchkey_e2e::desktop::dropped(&s.host);
    assert!(!dropped.is_empty());
    for (kind, permission) in &dropped {
        assert!(kind.starts_with("files_"), "{kind}");
        assert_eq!(permission, "file_manager");
    }
    assert!(
        dropped.iter().any(|(k, _)| k == "files_list"),
        "{dropped:?}"
    );
    assert!(
        dropped.iter().any(|(k, _)| k == "files_stat"),
        "{dropped:?}"
    );
}

#[test]
fn nobody_logged_in_means_no_file_access() {
    let s = Setup::new("d", "full_access");
    s.logind.nobody();
    let v = failed(&s.lk(&["ls", &s.at("~")]), "unsupported", 1);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("nobody is logged in"),
        "{v}"
    );
}

#[test]
fn bad_input_gets_clear_errors_and_nothing_half_written() {
    let s = Setup::new("e", "full_access");
    let local = tempfile::tempdir().expect("tempdir");
    let l = |p: &str| local.path().join(p).to_str().expect("utf-8").to_string();
    // A path that does not exist, either side.
    failed(&s.lk(&["ls", &s.at("nope")]), "not_found", 2);
    failed(&s.lk(&["cp", &s.at("nope"), &l("x")]), "not_found", 2);
    failed(&s.lk(&["cp", &l("nope"), &s.at("x")]), "not_found", 2);
    // A directory given as a file.
    std::fs::create_dir(s.user.home.join("adir")).expect("mkdir");
    s.chown(&s.user.home.join("adir"));
    failed(&s.lk(&["cp", &s.at("adir"), &l("x")]), "is_directory", 2);
    std::fs::create_dir(local.path().join("ldir")).expect("mkdir");
    failed(&s.lk(&["cp", &l("ldir"), &s.at("x")]), "is_directory", 2);
    // `..`, newlines: refused before anything is sent.
    std::fs::write(local.path().join("f"), "data").expect("write");
    failed(&s.lk(&["cp", &l("f"), &s.at("../f")]), "bad_input", 2);
    failed(&s.lk(&["ls", &s.at("adir/../..")]), "bad_input", 2);
    failed(&s.lk(&["cp", &l("f"), &s.at("a\nb")]), "bad_input", 2);
    // A local name with a newline or not UTF-8, in a tree.
    let bad = local.path().join("bad");
    std::fs::create_dir(&bad).expect("mkdir");
    std::fs::write(bad.join("new\nline"), "x").expect("write");
    failed(
        &s.lk(&["cp", "-r", bad.to_str().expect("utf-8"), &s.at("")]),
        "bad_input",
        2,
    );
    std::fs::remove_file(bad.join("new\nline")).expect("rm");
    use std::os::unix::ffi::OsStrExt;
    std::fs::write(bad.join(OsStr::from_bytes(b"not\xffutf8")), "x").expect("write");
    failed(
        &s.lk(&["cp", "-r", bad.to_str().expect("utf-8"), &s.at("")]),
        "bad_input",
        2,
    );
    assert!(
        !s.user.home.join("bad").exists(),
        "nothing copied before the bad name was found"
    );
    // A 0-byte file copies fine, both ways.
    std::fs::write(local.path().join("empty"), "").expect("write");
    ok_json(&s.lk(&["cp", &l("empty"), &s.at("empty")]));
    assert_eq!(
        std::fs::metadata(s.user.home.join("empty"))
            .expect("there")
            .len(),
        0
    );
    ok_json(&s.lk(&["cp", &s.at("empty"), &l("empty2")]));
    assert_eq!(
        std::fs::metadata(local.path().join("empty2"))
            .expect("there")
            .len(),
        0
    );
    // A full disk: a 1 MiB tmpfs in the user's home.
    let small = s.user.home.join("small");
    std::fs::create_dir(&small).expect("mkdir");
    let mounted = root_cmd(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=1m",
            "tmpfs",
            small.to_str().expect("utf-8"),
        ],
    );
    assert!(
        mounted,
        "cannot mount a small tmpfs for the full-disk case (needs root)"
    );
    s.chown(&small);
    random_file(&local.path().join("two"), 2 * 1024 * 1024);
    let run = s.lk(&["cp", &l("two"), &s.at("small/two")]);
    let listed: Vec<_> = std::fs::read_dir(&small)
        .expect("read")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    root_cmd("umount", &[small.to_str().expect("utf-8")]);
    failed(&run, "no_space", 1);
    assert!(listed.is_empty(), "left on the full disk: {listed:?}");
    assert!(parts(&s.user.home).is_empty());
    assert!(parts(local.path()).is_empty());
}
