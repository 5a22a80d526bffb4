//! Files through the clipboard (`clipboard_files`) between real processes
//! on loopback: a root host sharing an Xvfb display (its file operations run
//! as a throwaway desktop user), a real viewer process. Files named on the
//! host's clipboard (`xclip -t text/uri-list`) arrive with
//! `latchkey clipboard ID --get-files DIR`, byte for byte, with a profile
//! that has `clipboard_files` but not `file_manager` (which then opens no
//! other path); `--put-files` leaves the host's clipboard offering identical
//! copies as `text/uri-list` and `x-special/gnome-copied-files`. Without
//! `clipboard_files` it is refused (exit 3, audited once per session) while
//! text still travels; bad input gets clear messages and its own codes.
//! Needs root (see `files.rs`), Xvfb and xclip.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{dropped, xtool};
use latchkey_e2e::desktop_user::RootHost;
use latchkey_e2e::trees::{sha256_file, tree};
use latchkey_testkit::Xvfb;
use serde_json::Value;

/// The root host on a fresh display, its profile `screen_sharing` given `perms`.
fn setup(tag: &str, perms: &[&str]) -> (Xvfb, RootHost) {
    let x = Xvfb::start_sized(320, 240);
    let s = RootHost::new_on(tag, "screen_sharing", Some(&x.display));
    for p in perms {
        s.host
            .run(&["profile", "set", "screen_sharing", p, "on"])
            .ok();
    }
    (x, s)
}

/// `xclip` owning the display's clipboard with `value` as `target`, until killed.
struct XclipOwner(Child);

impl XclipOwner {
    fn start(display: &str, target: &str, value: &str) -> XclipOwner {
        let mut child = Command::new("xclip")
            .args(["-quiet", "-i", "-selection", "clipboard", "-t", target])
            .env("DISPLAY", display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip must be installed");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(value.as_bytes())
            .expect("write");
        // Owned once a paste can read it back.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !clip(display, "TARGETS").contains(target) {
            assert!(Instant::now() < deadline, "xclip never took the clipboard");
            std::thread::sleep(Duration::from_millis(20));
        }
        XclipOwner(child)
    }
}

impl Drop for XclipOwner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The display's clipboard as `target`.
fn clip(display: &str, target: &str) -> String {
    xtool(
        display,
        &["xclip", "-o", "-selection", "clipboard", "-t", target],
    )
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
}

/// Bytes no two files share.
fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[i % 4] ^ seed)
        .collect()
}

/// A file and a folder (nested, with a link) to copy, under `root`.
fn sources(root: &Path) -> (PathBuf, PathBuf) {
    let file = root.join("report 100%.bin");
    write(&file, &bytes(1, 300 * 1024 + 7));
    let dir = root.join("tree");
    std::fs::create_dir_all(dir.join("a/b")).expect("mkdir");
    write(&dir.join("top.txt"), b"top\n");
    write(&dir.join("a/one.bin"), &bytes(2, 70_000));
    write(&dir.join("a/b/two.bin"), &bytes(3, 12));
    std::os::unix::fs::symlink("a/one.bin", dir.join("link")).expect("symlink");
    (file, dir)
}

fn ok(run: &Run) -> Value {
    granted(run)
}

/// The paths of a `text/uri-list` (as plain `file:///` URIs of paths
/// without escapes, as this suite makes them, except `%20` and `%25`).
fn uri_paths(list: &str) -> Vec<PathBuf> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let p = l.strip_prefix("file://").expect("file URI");
            PathBuf::from(p.replace("%20", " ").replace("%25", "%"))
        })
        .collect()
}

#[test]
fn clipboard_files_both_ways_without_file_manager() {
    let (x, s) = setup("cfa", &["clipboard", "clipboard_files"]);
    // On the host: a file and a folder, owned by the desktop's user, named
    // on the clipboard as a file manager names them.
    let (file, dir) = sources(&s.user.home);
    write(&s.user.home.join("secret.txt"), b"not on the clipboard");
    s.chown(&s.user.home);
    let list = format!(
        "file://{}\r\nfile://{}\r\n",
        file.display()
            .to_string()
            .replace('%', "%25")
            .replace(' ', "%20"),
        dir.display()
    );
    let owner = XclipOwner::start(&x.display, "text/uri-list", &list);
    let into = tempfile::tempdir().expect("tempdir");
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--get-files",
        into.path().to_str().expect("utf-8"),
    ]);
    let v = ok(&run);
    assert_eq!(v["files"], 4, "{v}");
    assert_eq!(v["links"], 1, "{v}");
    assert_eq!(
        sha256_file(&into.path().join("report 100%.bin")),
        sha256_file(&file)
    );
    assert_eq!(tree(&into.path().join("tree")), tree(&dir));
    assert!(!into.path().join("secret.txt").exists());
    drop(owner);

    // `clipboard_files` opens the files channel for those paths only: the
    // rest of the disk stays closed without `file_manager`.
    let run = s.lk(&[
        "cp",
        &s.at("~/secret.txt"),
        into.path().to_str().expect("utf-8"),
    ]);
    refused(&run, "permission", 3);
    assert!(
        dropped(&s.host).contains(&("files_stat".into(), "file_manager".into())),
        "{:?}",
        dropped(&s.host)
    );
    let run = s.lk(&["rm", &s.at(&file.display().to_string())]);
    refused(&run, "permission", 3);
    assert!(file.exists());

    // Viewer to host: the host's clipboard offers copies owned by its user.
    let local = tempfile::tempdir().expect("tempdir");
    let (lfile, ldir) = sources(local.path());
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--put-files",
        lfile.to_str().expect("utf-8"),
        ldir.to_str().expect("utf-8"),
    ]);
    let v = ok(&run);
    assert_eq!(v["paths"].as_array().map(Vec::len), Some(2), "{v}");
    let offered = uri_paths(&clip(&x.display, "text/uri-list"));
    assert_eq!(offered.len(), 2, "{offered:?}");
    let (hfile, hdir) = (&offered[0], &offered[1]);
    assert!(hfile.starts_with(&s.user.home), "{hfile:?}");
    assert_eq!(hfile.file_name(), lfile.file_name());
    assert_eq!(sha256_file(hfile), sha256_file(&lfile));
    assert_eq!(tree(hdir), tree(&ldir));
    assert_eq!(std::fs::metadata(hfile).expect("meta").uid(), s.user.uid);
    let gnome = clip(&x.display, "x-special/gnome-copied-files");
    assert!(
        gnome.starts_with(&format!("copy\nfile://{}", s.user.home.display())),
        "{gnome:?}"
    );
    assert_eq!(
        gnome.lines().skip(1).collect::<Vec<_>>().len(),
        2,
        "{gnome:?}"
    );
    // The session ended with the clipboard still offering them: they stay.
    // Once the clipboard holds something else, the next put removes them.
    let staged = hfile.parent().expect("staged folder").to_path_buf();
    let text = XclipOwner::start(&x.display, "UTF8_STRING", "other");
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--put-files",
        lfile.to_str().expect("utf-8"),
    ]);
    ok(&run);
    drop(text);
    assert!(!staged.exists(), "{staged:?} was left behind");
    let now = uri_paths(&clip(&x.display, "text/uri-list"));
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(sha256_file(&now[0]), sha256_file(&lfile));
}

#[test]
fn clipboard_files_refused_without_the_permission_but_text_works() {
    let (x, s) = setup("cfb", &["clipboard"]);
    let file = s.user.home.join("f.txt");
    write(&file, b"file");
    s.chown(&s.user.home);
    let _owner = XclipOwner::start(
        &x.display,
        "text/uri-list",
        &format!("file://{}\r\n", file.display()),
    );
    let into = tempfile::tempdir().expect("tempdir");
    let dir = into.path().to_str().expect("utf-8");
    let run = s.lk(&["clipboard", &s.id, "--get-files", dir]);
    let v = refused(&run, "permission", 3);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("clipboard_files"),
        "{v}"
    );
    assert!(std::fs::read_dir(into.path())
        .expect("dir")
        .next()
        .is_none());
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--put-files",
        file.to_str().expect("utf-8"),
    ]);
    refused(&run, "permission", 3);
    assert!(clip(&x.display, "text/uri-list").contains("f.txt"));

    // In one held session: refused each time, audited once; text still travels.
    let env = s.logind.env();
    let refs: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let args = [
        "connect",
        &s.id,
        "--rendezvous",
        &s.rv.url,
        "--profile",
        s.profile,
        "--password-stdin",
        "--commands",
        "--json",
    ];
    let mut v = s.viewer.spawn_piped_env(&args, &refs);
    v.send(GOOD_PASSWORD);
    let line = v.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
    assert!(line.contains("\"ok\":true"), "{line}");
    let before = dropped(&s.host)
        .iter()
        .filter(|(k, _)| k == "clipboard_files_get")
        .count();
    for _ in 0..3 {
        let answer = v.command(&format!("clipboard-get-files {dir}"));
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["error"], "permission", "{answer}");
    }
    assert_eq!(v.command("clipboard-set plain text")["ok"], true);
    assert_eq!(clip(&x.display, "UTF8_STRING"), "plain text");
    v.send("quit");
    let _ = v.finish(Duration::from_secs(20));
    let got: Vec<_> = s
        .host
        .audited("message_dropped", before + 1)
        .into_iter()
        .filter(|r| r["kind"] == "clipboard_files_get")
        .collect();
    assert_eq!(got.len(), before + 1, "{got:?}");
    assert_eq!(got[before]["permission"], "clipboard_files");
}

#[test]
fn bad_input_gets_clear_messages() {
    let (x, s) = setup("cfc", &["clipboard", "clipboard_files"]);
    let here = tempfile::tempdir().expect("tempdir");
    let missing = here.path().join("missing.txt");
    let a_file = here.path().join("a.txt");
    write(&a_file, b"a");
    // A local file that is not there: before any connection.
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--put-files",
        missing.to_str().expect("utf-8"),
    ]);
    let v = refused(&run, "not_found", 2);
    assert!(
        v["message"].as_str().unwrap_or("").contains("missing.txt"),
        "{v}"
    );
    // DIR that is a file, DIR that is not there.
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--get-files",
        a_file.to_str().expect("utf-8"),
    ]);
    let v = refused(&run, "not_directory", 2);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a directory"),
        "{v}"
    );
    let run = s.lk(&[
        "clipboard",
        &s.id,
        "--get-files",
        missing.to_str().expect("utf-8"),
    ]);
    refused(&run, "not_found", 2);
    // Neither option, or both: usage.
    let run = s.lk(&["clipboard", &s.id]);
    assert_eq!(run.code, 2, "{run:?}");
    // An empty host clipboard, and one holding text only.
    let dir = here.path().to_str().expect("utf-8");
    let run = s.lk(&["clipboard", &s.id, "--get-files", dir]);
    let v = refused(&run, "empty", 10);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("holds no files"),
        "{v}"
    );
    let text = XclipOwner::start(&x.display, "UTF8_STRING", "just text");
    let run = s.lk(&["clipboard", &s.id, "--get-files", dir]);
    refused(&run, "empty", 10);
    // A clipboard naming something that is no local file.
    drop(text);
    let _web = XclipOwner::start(&x.display, "text/uri-list", "https://example.invalid/x\r\n");
    let run = s.lk(&["clipboard", &s.id, "--get-files", dir]);
    let v = refused(&run, "bad_input", 2);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a local file"),
        "{v}"
    );
    assert_eq!(std::fs::read_dir(here.path()).expect("dir").count(), 1);
}
