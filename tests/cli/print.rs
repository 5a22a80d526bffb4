//! Remote print between real processes and a real CUPS: with a cupsd of
//! the test's own, a session holding `print` that runs `connect --print-to
//! DIR` has the host offer a queue named after the viewer (`lpstat -p`);
//! what `lp` prints to it on the host arrives in DIR as a PDF (CUPS's
//! filters made it); the queue is gone when the session ends, and when the
//! host crashed, at its next start. Without `print` no queue appears, and
//! the host refuses and audits the request.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use latchkey_e2e::cups::Cupsd;
use latchkey_e2e::desktop::{dropped, held_session};
use latchkey_e2e::desktop_user::is_root;
use latchkey_testkit::Xvfb;

/// A host on `x` whose CUPS is `cups`, with the password on `profiles`.
fn host_with_cups(x: &Xvfb, rv: &Rendezvous, cups: &Cupsd, profiles: &[&str]) -> (Device, Proc) {
    let host = Device::file();
    for p in profiles {
        host.set_password(p, GOOD_PASSWORD).ok();
        host.run(&["unattended", "on", "--profile", p]).ok();
    }
    let proc = start_host(&host, x, rv, cups);
    (host, proc)
}

/// `latchkey host` for `device` with `CUPS_SERVER` pointing at `cups`.
fn start_host(device: &Device, x: &Xvfb, rv: &Rendezvous, cups: &Cupsd) -> Proc {
    let server = cups.server();
    let mut proc = device.spawn_piped_env(
        &["host", "--rendezvous", &rv.url, "--display", &x.display],
        &[("CUPS_SERVER", server.as_os_str())],
    );
    let line = proc.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(30));
    proc.id = line.rsplit("ID ").next().map(|s| s.replace(' ', ""));
    proc
}

/// Wait until `cond` holds (20 s at most).
fn wait_for(what: &str, cups: &Cupsd, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "{what}\ncupsd: {}", cups.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The file `name` in `dir`, once it is there.
fn arrival(dir: &Path, name: &str, cups: &Cupsd) -> PathBuf {
    let path = dir.join(name);
    wait_for(&format!("{name} did not arrive"), cups, || path.exists());
    path
}

/// `pdftotext FILE -`.
fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (scripts/setup.sh installs poppler-utils)");
    assert!(out.status.success(), "pdftotext {}", path.display());
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `lp ARGS` on the host: the job is queued.
fn lp(cups: &Cupsd, args: &[&str]) {
    let queued = cups.lp("lp", args);
    assert!(queued.contains("request id is"), "{queued}");
}

/// A held `connect --print-to INBOX` session on `default`; it and its queue.
fn printing_session(viewer: &Device, h: &Proc, rv: &Rendezvous, inbox: &Path) -> (Proc, String) {
    let inbox = inbox.to_string_lossy();
    let session = held_session(
        viewer,
        h.id(),
        rv,
        &["--profile", "default", "--print-to", &inbox],
    );
    let queue = granted_line(&session)["print_queue"]
        .as_str()
        .expect("print_queue")
        .to_string();
    (session, queue)
}

/// The JSON line `connect --json` printed first.
fn granted_line(session: &Proc) -> serde_json::Value {
    let line = session
        .seen
        .iter()
        .find(|l| l.starts_with('{'))
        .expect("the outcome line");
    serde_json::from_str(line).expect("JSON")
}

#[test]
fn a_job_printed_on_the_host_arrives_at_the_viewer_as_a_pdf() {
    assert!(is_root(), "cupsd needs root");
    let cups = Cupsd::start();
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_with_cups(&x, &rv, &cups, &["default", "screen_sharing"]);
    let viewer = Device::file();
    let inbox = tempfile::tempdir().expect("dir");
    let inbox_arg = inbox.path().to_string_lossy().to_string();

    // Without `print`: refused, audited, and no queue.
    let refused = viewer.run_stdin(
        &[
            "connect",
            h.id(),
            "--rendezvous",
            &rv.url,
            "--profile",
            "screen_sharing",
            "--password-stdin",
            "--print-to",
            &inbox_arg,
        ],
        format!("{GOOD_PASSWORD}\n").as_bytes(),
    );
    let message = refused.fails_with(3);
    assert!(message.contains("'print'"), "{message}");
    assert!(
        dropped(&host).contains(&("print_start".into(), "print".into())),
        "{:?}",
        dropped(&host)
    );
    assert!(cups.queues().is_empty(), "{:?}", cups.queues());

    // With it: the queue is there while the session is.
    let (mut session, queue) = printing_session(&viewer, &h, &rv, inbox.path());
    let outcome = granted_line(&session);
    let name = latchkey_session::viewer::default_name();
    assert_eq!(queue, latchkey_core::feature::print::queue_name(&name));
    assert_eq!(outcome["print_description"], format!("Latchkey - {name}"));
    assert_eq!(cups.queues(), vec![queue.clone()]);
    let long = cups.lp("lpstat", &["-l", "-p", &queue]);
    assert!(
        long.contains(&format!("Description: Latchkey - {name}")),
        "{long}"
    );

    // A text file: CUPS's texttopdf makes the PDF. (Its text, as pdftotext
    // reads it back, is what the same filter gives for the file outside
    // CUPS: Debian's texttopdf embeds its font without a ToUnicode map.)
    let work = tempfile::tempdir().expect("dir");
    let text = "Remote print from the host, line one\nand line two\n";
    let txt = work.path().join("print-check.txt");
    std::fs::write(&txt, text).expect("write");
    lp(&cups, &["-d", &queue, &txt.to_string_lossy()]);
    let pdf = arrival(inbox.path(), "print-check.pdf", &cups);
    let bytes = std::fs::read(&pdf).expect("read");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let reference = work.path().join("reference.pdf");
    let made = Command::new("/usr/lib/cups/filter/texttopdf")
        .args(["1", "root", "print-check.txt", "1", ""])
        .arg(&txt)
        .env("CHARSET", "utf-8")
        .env("CUPS_DATADIR", "/usr/share/cups")
        .stdout(std::fs::File::create(&reference).expect("create"))
        .status()
        .expect("texttopdf");
    assert!(made.success());
    let got = pdftotext(&pdf);
    assert!(!got.trim().is_empty(), "no text in the PDF");
    assert_eq!(got, pdftotext(&reference));

    // A PostScript document (gstopdf makes the PDF): its text reads back as is.
    let ps = work.path().join("letter.ps");
    std::fs::write(
        &ps,
        "%!PS\n/Courier findfont 14 scalefont setfont\n72 720 moveto (Latchkey remote print check) show\nshowpage\n",
    )
    .expect("write");
    let letter = ps.to_string_lossy().to_string();
    lp(
        &cups,
        &["-d", &queue, "-t", "Letter to the viewer", &letter],
    );
    let pdf = arrival(inbox.path(), "Letter to the viewer.pdf", &cups);
    assert!(
        pdftotext(&pdf).contains("Latchkey remote print check"),
        "{}",
        pdftotext(&pdf)
    );
    // The same title again: a new file, the first one kept.
    lp(
        &cups,
        &["-d", &queue, "-t", "Letter to the viewer", &letter],
    );
    arrival(inbox.path(), "Letter to the viewer (2).pdf", &cups);
    assert!(pdftotext(&pdf).contains("Latchkey remote print check"));

    // The session ends: the queue goes with it.
    session.send("quit");
    session.finish(Duration::from_secs(20)).ok();
    wait_for("the queue outlived its session", &cups, || {
        cups.queues().is_empty()
    });
}

/// A host with its own cupsd, and a viewer's session printing to it.
struct Printing {
    session: Proc,
    queue: String,
    h: Proc,
    host: Device,
    _inbox: tempfile::TempDir,
    rv: Rendezvous,
    x: Xvfb,
    cups: Cupsd,
}

fn printing() -> Printing {
    assert!(is_root(), "cupsd needs root");
    let cups = Cupsd::start();
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_with_cups(&x, &rv, &cups, &["default"]);
    let inbox = tempfile::tempdir().expect("dir");
    let (session, queue) = printing_session(&Device::file(), &h, &rv, inbox.path());
    assert_eq!(cups.queues(), vec![queue.clone()]);
    Printing {
        session,
        queue,
        h,
        host,
        _inbox: inbox,
        rv,
        x,
        cups,
    }
}

#[test]
fn a_queue_left_by_a_crashed_host_is_removed_at_its_next_start() {
    let mut p = printing();
    // The host dies without a word: its queue stays behind.
    p.h.kill();
    p.session.kill();
    assert_eq!(p.cups.queues(), vec![p.queue.clone()]);
    let _h = start_host(&p.host, &p.x, &p.rv, &p.cups);
    wait_for("the next start left the queue", &p.cups, || {
        p.cups.queues().is_empty()
    });
}

#[test]
fn the_queue_goes_when_the_permission_is_withdrawn() {
    let mut p = printing();
    p.host
        .run(&["profile", "set", "default", "print", "off"])
        .ok();
    wait_for("the queue outlived the permission", &p.cups, || {
        p.cups.queues().is_empty()
    });
    // The session itself goes on.
    assert_eq!(p.session.command("sync")["ok"], true);
}
