//! Sessions through a TURN relay on an isolated site: the host and the viewer
//! each in a network namespace of their own with no default route, unable to
//! reach each other; the rendezvous and coturn in a third, reached over veth
//! links. The session forms through coturn over UDP, TCP and TLS (ICE selects
//! a relay candidate, the viewer's screenshot is the host's screen); wrong
//! TURN credentials are named as such; a peer with no default route builds
//! its peer connection; the rendezvous checks its TURN secret file.
//!
//! Needs root (`ip netns`), coturn, openssl and Xvfb.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use latchkey_e2e::cli::*;
use latchkey_e2e::coturn::{self, Coturn};
use latchkey_e2e::desktop::{read_png, screenshot};
use latchkey_e2e::netns::{Netns, Site, A_IP, B_IP, SERVICE_IP};
use latchkey_media::{Frame, PixelFormat};
use latchkey_testkit::{desktop, draw_rgba, Xvfb, HEIGHT, WIDTH};
use serde_json::Value;

/// coturn's `static-auth-secret` in these tests.
const SECRET: &str = "site-turn-secret-7f3a";
/// The rendezvous's port in the servers' namespace.
const RENDEZVOUS_PORT: u16 = 8765;

/// A file holding `text`, mode `mode`.
fn secret_file(dir: &Path, text: &str, mode: u32) -> PathBuf {
    let path = dir.join("turn-secret");
    std::fs::write(&path, text).expect("write secret");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

/// The site with coturn (secret `coturn_secret`) and a rendezvous handing
/// out credentials for `turn_url` under `rendezvous_secret`.
struct Relayed {
    rv: Rendezvous,
    coturn: Coturn,
    _secret_dir: tempfile::TempDir,
    // Last: the namespaces go once everything in them is stopped.
    site: Site,
}

fn relayed(turn_url: &str, coturn_secret: &str, rendezvous_secret: &str) -> Relayed {
    let site = Site::build();
    let coturn = Coturn::start_in(&site.servers, SERVICE_IP, coturn_secret);
    let secret_dir = tempfile::tempdir().expect("tempdir");
    // With the trailing newline an editor leaves: it is not part of the secret.
    let file = secret_file(secret_dir.path(), &format!("{rendezvous_secret}\n"), 0o600);
    let rv = Rendezvous::start_via(
        &site.servers.prefix(),
        &format!("{SERVICE_IP}:{RENDEZVOUS_PORT}"),
        None,
        &[
            "--turn-secret-file",
            file.to_str().expect("utf8"),
            "--turn-url",
            turn_url,
        ],
    );
    // The site is what it should be: both peers reach the servers, not each other.
    for ns in [&site.a, &site.b] {
        Site::tcp_connect(ns, SERVICE_IP, RENDEZVOUS_PORT)
            .unwrap_or_else(|e| panic!("{} cannot reach the rendezvous: {e}", ns.name));
    }
    let across = Site::tcp_connect(&site.a, B_IP, RENDEZVOUS_PORT).expect_err("A reaches B");
    assert!(across.contains("unreachable"), "{across}");
    let across = Site::tcp_connect(&site.b, A_IP, RENDEZVOUS_PORT).expect_err("B reaches A");
    assert!(across.contains("unreachable"), "{across}");
    Relayed {
        rv,
        coturn,
        _secret_dir: secret_dir,
        site,
    }
}

/// A host in namespace A sharing `x`, a password on `default`, unattended on.
fn host_in(ns: &Netns, x: &Xvfb, rv: &Rendezvous, env: &[(&str, &Path)]) -> (Device, Proc) {
    let mut host = Device::file().in_netns(ns);
    if let Ok(filter) = std::env::var("TURN_TEST_LOG") {
        host = host.with_env("LATCHKEY_LOG", filter);
    }
    for (k, v) in env {
        host = host.with_env(k, v);
    }
    host.set_password("default", GOOD_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", "default"]).ok();
    let proc = host.start_host_on(rv, &x.display);
    (host, proc)
}

fn last_json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

/// A site with a host in A on an X screen, coturn serving `turn_url`, and a
/// picture on the screen.
struct Hosted {
    device: Device,
    host: Proc,
    picture: Vec<u8>,
    _x: Xvfb,
    r: Relayed,
}

/// Which peer offers relay candidates only (LATCHKEY_ICE_RELAY_ONLY=1), so
/// that its own allocation carries the session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RelayOnly {
    Neither,
    Host,
    Viewer,
}

/// `tls`: the peers trust coturn's CA (through SSL_CERT_FILE, which
/// rustls-native-certs reads).
fn hosted(turn_url: &str, tls: bool, relay_only: RelayOnly) -> Hosted {
    let r = relayed(turn_url, SECRET, SECRET);
    let x = Xvfb::start();
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    let picture = desktop(WIDTH, HEIGHT, 3);
    draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &picture);
    let ca = r.coturn.ca.clone();
    let mut env: Vec<(&str, &Path)> = Vec::new();
    if tls {
        env.push(("SSL_CERT_FILE", ca.as_path()));
    }
    if relay_only == RelayOnly::Host {
        env.push(("LATCHKEY_ICE_RELAY_ONLY", Path::new("1")));
    }
    let (device, host) = host_in(&r.site.a, &x, &r.rv, &env);
    Hosted {
        device,
        host,
        picture,
        _x: x,
        r,
    }
}

/// The whole check: a session through coturn at `turn_url`, a relay
/// candidate selected, the host's screen seen.
fn session_through(turn_url: &str, tls: bool, relay_only: RelayOnly) {
    let started = Instant::now();
    let h = hosted(turn_url, tls, relay_only);
    let mut viewer = Device::file().in_netns(&h.r.site.b);
    if let Ok(filter) = std::env::var("TURN_TEST_LOG") {
        viewer = viewer.with_env("LATCHKEY_LOG", filter);
    }
    if relay_only == RelayOnly::Viewer {
        viewer = viewer.with_env("LATCHKEY_ICE_RELAY_ONLY", "1");
    }
    if tls {
        viewer = viewer.with_env("SSL_CERT_FILE", &h.r.coturn.ca);
    }
    let (run, shot) = screenshot(&viewer, h.host.id(), &h.r.rv.url);
    assert_eq!(
        run.code,
        0,
        "{run:?}\nhost audit: {}\nhost log: {}\ncoturn: {}",
        h.device.run(&["audit", "--json"]).stdout,
        h.host.stderr_so_far(),
        h.r.coturn.log()
    );
    let v = last_json(&run);
    let ice = &v["ice"];
    assert!(
        ice["local"] == "relay" || ice["remote"] == "relay",
        "ICE did not select a relay candidate: {ice}"
    );
    match relay_only {
        RelayOnly::Viewer => assert_eq!(ice["local"], "relay", "{ice}"),
        RelayOnly::Host => assert_eq!(ice["remote"], "relay", "{ice}"),
        RelayOnly::Neither => {}
    }
    let expected =
        Frame::packed(WIDTH, HEIGHT, PixelFormat::Rgba, h.picture.clone()).expect("frame");
    let psnr = read_png(&shot).psnr(&expected).expect("same size");
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB");
    eprintln!(
        "{turn_url}: selected {ice}, PSNR {psnr:.1} dB, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn session_forms_through_coturn_over_udp() {
    session_through(
        &format!("turn:{SERVICE_IP}:{}", coturn::PORT),
        false,
        RelayOnly::Neither,
    );
}

/// The viewer's own relay carries the host's media to it (the path where a
/// keyframe used to be dropped before its track was announced).
#[test]
fn session_forms_with_the_viewer_on_its_relay_only() {
    session_through(
        &format!("turn:{SERVICE_IP}:{}", coturn::PORT),
        false,
        RelayOnly::Viewer,
    );
}

#[test]
fn session_forms_through_coturn_over_tcp() {
    session_through(
        &format!("turn:{SERVICE_IP}:{}?transport=tcp", coturn::PORT),
        false,
        RelayOnly::Host,
    );
}

#[test]
fn session_forms_through_coturn_over_tls() {
    session_through(
        &format!("turns:{SERVICE_IP}:{}", coturn::TLS_PORT),
        true,
        RelayOnly::Host,
    );
}

/// A viewer that does not trust coturn's certificate cannot relay, and says
/// that TLS with the TURN server failed.
#[test]
fn an_untrusted_turn_certificate_is_named() {
    // Neither peer trusts it: no relay on either side.
    let h = hosted(
        &format!("turns:{SERVICE_IP}:{}", coturn::TLS_PORT),
        false,
        RelayOnly::Neither,
    );
    let viewer = Device::file().in_netns(&h.r.site.b);
    let (run, _) = screenshot(&viewer, h.host.id(), &h.r.rv.url);
    let v = refused(&run, "host_offline", 6);
    let message = v["message"].as_str().unwrap_or("");
    assert!(message.contains("TLS with the TURN server"), "{message}");
    eprintln!("untrusted certificate: {message}");
}

#[test]
fn wrong_turn_credentials_are_named_as_such() {
    let r = relayed(
        &format!("turn:{SERVICE_IP}:{}", coturn::PORT),
        SECRET,
        "not-the-coturn-secret",
    );
    let x = Xvfb::start();
    let (_host, h) = host_in(&r.site.a, &x, &r.rv, &[]);
    let viewer = Device::file().in_netns(&r.site.b);
    let started = Instant::now();
    let (run, _) = screenshot(&viewer, h.id(), &r.rv.url);
    assert_eq!(run.code, 6, "{run:?}");
    let v = last_json(&run);
    let message = v["message"].as_str().unwrap_or("");
    assert!(
        message.contains("the TURN server refused the credentials"),
        "{message}"
    );
    assert!(message.contains("401"), "{message}");
    eprintln!(
        "refused credentials reported in {:.1} s: {message}",
        started.elapsed().as_secs_f64()
    );
}

/// The regression: on a network without a default route, building a peer
/// connection failed with "No such device (os error 19)" (the mDNS socket
/// could not join its multicast group), with or without LATCHKEY_ICE_BIND.
/// The viewer gets as far as the rendezvous's answer for an unknown ID, which
/// comes after its peer connection and offer are made.
#[test]
fn a_peer_without_a_default_route_creates_its_peer_connection() {
    let site = Site::build();
    let rv = Rendezvous::start_via(
        &site.servers.prefix(),
        &format!("{SERVICE_IP}:{RENDEZVOUS_PORT}"),
        None,
        &[],
    );
    assert!(!site.b.has_default_route());
    for bind in [None, Some(B_IP)] {
        let mut viewer = Device::file().in_netns(&site.b);
        if let Some(ip) = bind {
            viewer = viewer.with_env("LATCHKEY_ICE_BIND", ip);
        }
        let run = viewer.connect("999999999", &rv, &[], None);
        assert!(
            !run.stdout.contains("peer connection"),
            "LATCHKEY_ICE_BIND={bind:?}: {run:?}"
        );
        refused(&run, "unknown_id", 6);
    }
}

#[test]
fn the_turn_secret_file_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |file: &Path| {
        let out = std::process::Command::new(latchkey_e2e::bins::latchkey())
            .args([
                "rendezvous",
                "--listen",
                "127.0.0.1:0",
                "--turn-secret-file",
            ])
            .arg(file)
            .args(["--turn-url", "turn:127.0.0.1:3478"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run latchkey");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let open = secret_file(dir.path(), "s3cret\n", 0o644);
    let run = start(&open);
    let message = run.fails_with(2);
    assert!(message.contains("open to every user"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    let empty = secret_file(dir.path(), "\n", 0o600);
    let run = start(&empty);
    assert!(run.fails_with(2).contains("is empty"), "{run:?}");
    let run = start(&dir.path().join("nothing-here"));
    assert!(
        run.fails_with(2)
            .contains("cannot read the TURN secret file"),
        "{run:?}"
    );
}
