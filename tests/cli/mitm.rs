//! A rendezvous in the middle: a WebSocket proxy between the viewer and the
//! real rendezvous that terminates WebRTC on both sides with two peers of its
//! own and relays the `control` channel between them, reading every message.
//! It rewrites the SDPs so each side's DTLS runs with the proxy:
//!
//! - `Bypass` (issue 10, critical 1): a bare `a=fingerprint`, then the real
//!   peer's fingerprint at session level, then the proxy's own at media level.
//!   A stack that skips the bare line verifies DTLS against the media-level
//!   value, while a reader of "the first `a=fingerprint:` line" sees the real
//!   one: SDP-text transcripts then match on both sides and the proxy owns
//!   the session. On 2026-12-01's main this test's bypass case was granted.
//! - `Substitute`: every fingerprint replaced by the proxy's own, consistently
//!   (the plain man in the middle the hello signatures must catch).
//!
//! Both must be refused by viewer and host, with nothing granted.

use futures_util::{SinkExt, StreamExt};
use latchkey_core::signal::{self, ClientMessage, ServerMessage};
use latchkey_e2e::cli::*;
use latchkey_session::transport::peer::{Control, Peer, PeerEvent, CONTROL_LABEL};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug)]
enum Mode {
    Bypass,
    Substitute,
}

/// The first fingerprint value an SDP names (what the proxy treats as "the real one").
fn first_fingerprint(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=fingerprint:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .expect("an SDP with a fingerprint")
        .to_string()
}

/// `sdp` (the proxy's own) rewritten as `mode` says; `real` is the fingerprint
/// of the side the rewritten SDP pretends to come from.
fn rewrite(sdp: &str, mode: Mode, real: &str) -> String {
    let mine = first_fingerprint(sdp);
    let lines: Vec<&str> = sdp
        .lines()
        .filter(|l| !l.trim().starts_with("a=fingerprint"))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut in_media = false;
    for line in lines {
        if line.starts_with("m=") {
            if in_media {
                out.push(format!("a=fingerprint:sha-256 {mine}"));
            } else {
                match mode {
                    Mode::Bypass => {
                        out.push("a=fingerprint".into());
                        out.push(format!("a=fingerprint:sha-256 {real}"));
                    }
                    Mode::Substitute => out.push(format!("a=fingerprint:sha-256 {mine}")),
                }
            }
            in_media = true;
        }
        out.push(line.to_string());
    }
    if in_media {
        out.push(format!("a=fingerprint:sha-256 {mine}"));
    }
    out.join("\r\n") + "\r\n"
}

/// What went through the proxy's relay, one line per control message.
type Seen = Arc<Mutex<Vec<String>>>;

async fn proxy(listener: TcpListener, upstream: String, mode: Mode, seen: Seen) {
    while let Ok((tcp, _)) = listener.accept().await {
        let (upstream, seen) = (upstream.clone(), seen.clone());
        tokio::spawn(async move {
            if let Err(e) = one_viewer(tcp, upstream, mode, seen.clone()).await {
                seen.lock().expect("seen").push(format!("proxy error: {e}"));
            }
        });
    }
}

async fn one_viewer(
    tcp: tokio::net::TcpStream,
    upstream: String,
    mode: Mode,
    seen: Seen,
) -> Result<(), String> {
    let client = tokio_tungstenite::accept_async(tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (server, _) = tokio_tungstenite::connect_async(&upstream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut to_viewer, mut from_viewer) = client.split();
    let (mut to_server, mut from_server) = server.split();
    let bind = || vec!["127.0.0.1:0".to_string()];
    let mut facing_viewer: Option<(Peer, String)> = None;
    let mut facing_host: Option<(Peer, Control)> = None;
    loop {
        tokio::select! {
            m = from_viewer.next() => {
                let Some(Ok(Message::Text(text))) = m else { return Ok(()) };
                let mut out = text.to_string();
                if let Ok(ClientMessage::Offer { to, session, sdp }) = signal::parse_client(&text) {
                    let viewer_fp = first_fingerprint(&sdp);
                    let mut a = Peer::bound_to(bind()).await.map_err(|e| e.to_string())?;
                    let answer_a = a.answer(&sdp).await.map_err(|e| e.to_string())?;
                    let mut b = Peer::bound_to(bind()).await.map_err(|e| e.to_string())?;
                    latchkey_session::features::video::add_receiver(b.connection()).await.map_err(|e| e.to_string())?;
                    let control = Control::new(b.create_control().await.map_err(|e| e.to_string())?);
                    let offer_b = b.offer().await.map_err(|e| e.to_string())?;
                    out = signal::encode(&ClientMessage::Offer { to, session, sdp: rewrite(&offer_b, mode, &viewer_fp) });
                    facing_viewer = Some((a, answer_a));
                    facing_host = Some((b, control));
                }
                to_server.send(Message::text(out)).await.map_err(|e| e.to_string())?;
            }
            m = from_server.next() => {
                let Some(Ok(Message::Text(text))) = m else { return Ok(()) };
                let mut out = text.to_string();
                if let Ok(ServerMessage::Answer { session, sdp }) = signal::parse_server(&text) {
                    let host_fp = first_fingerprint(&sdp);
                    let (Some((a, answer_a)), Some((mut b, control_b))) = (facing_viewer.take(), facing_host.take()) else {
                        return Err("an answer before any offer".into());
                    };
                    b.accept_answer(&sdp).await.map_err(|e| e.to_string())?;
                    out = signal::encode(&ServerMessage::Answer { session, sdp: rewrite(&answer_a, mode, &host_fp) });
                    tokio::spawn(relay(a, b, control_b, seen.clone()));
                }
                to_viewer.send(Message::text(out)).await.map_err(|e| e.to_string())?;
            }
        }
    }
}

/// Relay the viewer's `control` channel (on `a`) to the host's (on `b`), noting each message.
async fn relay(mut a: Peer, b: Peer, control_b: Control, seen: Seen) {
    let control_a = loop {
        match tokio::time::timeout(Duration::from_secs(20), a.next_event()).await {
            Ok(Some(PeerEvent::DataChannel(dc))) => {
                if dc.label().await.ok().as_deref() == Some(CONTROL_LABEL) {
                    break Control::new(dc);
                }
            }
            Ok(Some(_)) => {}
            _ => return,
        }
    };
    // Relay only once the host's side is open too (a send before that fails).
    if !matches!(
        tokio::time::timeout(Duration::from_secs(20), control_b.opened()).await,
        Ok(Ok(()))
    ) {
        return;
    }
    let note = |line: String| seen.lock().expect("seen").push(line);
    loop {
        tokio::select! {
            m = control_a.recv() => match m {
                Ok(bytes) => {
                    note(format!("viewer->host {}", String::from_utf8_lossy(&bytes)));
                    if control_b.send_raw(&bytes).await.is_err() { break; }
                }
                Err(_) => break,
            },
            m = control_b.recv() => match m {
                Ok(bytes) => {
                    note(format!("host->viewer {}", String::from_utf8_lossy(&bytes)));
                    if control_a.send_raw(&bytes).await.is_err() { break; }
                }
                Err(_) => break,
            },
            _ = tokio::time::sleep(Duration::from_secs(30)) => break,
        }
    }
    a.close().await;
    b.close().await;
}

/// Run the viewer through a proxy in `mode`; returns its outcome, what the
/// proxy relayed and the host's newest access decision.
fn through_proxy(mode: Mode) -> (Value, Vec<String>, Value) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    // The viewer has met this host before: its key is pinned.
    let direct = viewer.connect(
        &id,
        &rv,
        &["--password-stdin"],
        Some(&format!("{GOOD_PASSWORD}\n")),
    );
    assert_eq!(
        serde_json::from_str::<Value>(&direct.stdout).expect("json")["ok"],
        true,
        "direct login first: {direct:?}"
    );

    let listener = rt
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    let seen: Seen = Arc::default();
    rt.spawn(proxy(listener, rv.url.clone(), mode, seen.clone()));
    let url = format!("ws://127.0.0.1:{port}");
    let run = viewer.connect_url(
        &id,
        &url,
        &["--password-stdin"],
        Some(&format!("{GOOD_PASSWORD}\n")),
    );
    let outcome: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    // The direct login's decision, then the one about the proxied attempt.
    let last = host
        .audited("access_decision", 2)
        .pop()
        .unwrap_or(Value::Null);
    let seen = seen.lock().expect("seen").clone();
    drop(rt);
    (
        serde_json::json!({"outcome": outcome, "code": run.code, "stderr": run.stderr}),
        seen,
        last,
    )
}

fn assert_refused(mode: Mode) -> Vec<String> {
    let (viewer, seen, decision) = through_proxy(mode);
    let granted_seen = seen.iter().any(|l| l.contains("\"granted\""));
    assert!(
        !granted_seen,
        "{mode:?}: the proxy in the middle relayed a granted session: {seen:#?}"
    );
    assert_eq!(
        viewer["outcome"]["ok"], false,
        "{mode:?}: the viewer must refuse: {viewer}"
    );
    assert_eq!(
        viewer["outcome"]["error"], "protocol",
        "{mode:?}: refused as a protocol error: {viewer}"
    );
    assert_eq!(
        decision["outcome"], "refused",
        "{mode:?}: the host's last decision: {decision}"
    );
    assert!(
        decision["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("transcript_mismatch")),
        "{mode:?}: the host says why: {decision}"
    );
    seen
}

#[test]
fn sdp_fingerprint_bypass_in_the_middle_is_refused() {
    assert_refused(Mode::Bypass);
}

#[test]
fn substituted_fingerprints_in_the_middle_are_refused() {
    let seen = assert_refused(Mode::Substitute);
    // The relay worked: the viewer's hello reached the host through the proxy,
    // and the host's refusal came back, so the refusal is the handshake's doing.
    assert!(
        seen.iter()
            .any(|l| l.starts_with("viewer->host") && l.contains("\"hello\"")),
        "{seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("host->viewer") && l.contains("transcript_mismatch")),
        "{seen:#?}"
    );
}
