//! The throttle end to end (DESIGN §2 step 1): logins that never say how they
//! log in cannot lock real ones out, waiting requests are capped per address,
//! and the failure counters survive a host restart. A rendezvous, a host and
//! viewers as separate processes; the silent clients are built here from
//! latchkey_session's pieces (a WebSocket to the rendezvous, a `Peer` and its
//! `Control` channel) and reach the rendezvous "through a proxy" it trusts, so
//! the host sees them come from another address than the real viewer.

use futures_util::{SinkExt as _, StreamExt as _};
use latchkey_core::handshake::{self, HostMessage, Role, ViewerMessage};
use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{self, ClientMessage, DeviceId, ServerMessage, Signature};
use latchkey_e2e::cli::*;
use latchkey_session::transport::peer::{Control, Peer};
use rand_core::{OsRng, RngCore as _};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;

/// Where the silent clients come from, as the rendezvous reports it.
const SILENT_ADDR: &str = "192.0.2.66";

/// How far one silent client got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// Refused before the handshake (the rendezvous or the host said no).
    Refused,
    /// The host answered its hello (or refused it at once after).
    Hello,
    /// Something else went wrong (a test problem, reported in the panic).
    Broken,
}

/// What a silent client does after its hello.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Nothing at all.
    Nothing,
    /// Ask the person at the host, then wait.
    Ask,
}

/// A viewer that connects through the rendezvous "from" `forwarded_for`, sends
/// a valid hello, then `then`, and holds everything open until `release`.
async fn silent_client(
    after: Duration,
    url: String,
    host: DeviceId,
    forwarded_for: String,
    then: Then,
    report: mpsc::UnboundedSender<(Reached, Option<HostMessage>)>,
    mut release: watch::Receiver<bool>,
) {
    tokio::time::sleep(after).await;
    let mut request = url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "x-forwarded-for",
        forwarded_for.parse().expect("header value"),
    );
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(request),
    )
    .await
    else {
        let _ = report.send((Reached::Broken, None));
        return;
    };
    let Ok(mut peer) = Peer::bound_to(vec!["127.0.0.1:0".into()]).await else {
        let _ = report.send((Reached::Broken, None));
        return;
    };
    let control = match peer.create_control().await {
        Ok(dc) => Control::new(dc),
        Err(_) => {
            let _ = report.send((Reached::Broken, None));
            return;
        }
    };
    let Ok(offer) = peer.offer().await else {
        let _ = report.send((Reached::Broken, None));
        return;
    };
    let mut session = [0u8; 16];
    OsRng.fill_bytes(&mut session);
    let message = ClientMessage::Offer {
        to: host,
        session: hex::encode(session),
        sdp: offer,
    };
    if ws
        .send(Message::text(signal::encode(&message)))
        .await
        .is_err()
    {
        let _ = report.send((Reached::Broken, None));
        return;
    }
    let answer = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Text(text) = frame {
                match signal::parse_server(text.as_str()) {
                    Ok(ServerMessage::Answer { sdp, .. }) => return Some(sdp),
                    Ok(ServerMessage::Bye { .. }) | Ok(ServerMessage::Error { .. }) => return None,
                    _ => {}
                }
            }
        }
        None
    })
    .await;
    let Ok(Some(answer)) = answer else {
        let _ = report.send((Reached::Refused, None));
        return;
    };
    let hello = async {
        peer.accept_answer(&answer).await.ok()?;
        tokio::time::timeout(Duration::from_secs(15), control.opened())
            .await
            .ok()?
            .ok()?;
        let (local_fp, remote_fp) = peer.authenticated_fingerprints().await.ok()?;
        let transcript = handshake::transcript(&local_fp, &remote_fp);
        let key = DeviceKey::generate(&mut OsRng);
        let signature = Signature(key.sign(&handshake::hello_message(Role::Viewer, &transcript)));
        control
            .send(&ViewerMessage::Hello {
                version: handshake::VERSION,
                device_key: key.public(),
                name: "silent".into(),
                signature,
            })
            .await
            .ok()?;
        let reply = tokio::time::timeout(Duration::from_secs(15), control.recv())
            .await
            .ok()?
            .ok()?;
        handshake::parse::<HostMessage>(&reply).ok()
    };
    match hello.await {
        Some(HostMessage::Hello { .. }) => {
            let mut next = None;
            if let Then::Ask = then {
                let ask = ViewerMessage::Ask { profile: None };
                if control.send(&ask).await.is_ok() {
                    next = tokio::time::timeout(Duration::from_secs(15), control.recv())
                        .await
                        .ok()
                        .and_then(|r| r.ok())
                        .and_then(|b| handshake::parse::<HostMessage>(&b).ok());
                }
            }
            let _ = report.send((Reached::Hello, next));
        }
        Some(_) | None => {
            let _ = report.send((Reached::Refused, None));
        }
    }
    // Stay silent, holding the peer and the WebSocket open.
    let _ = tokio::time::timeout(Duration::from_secs(60), release.wait_for(|r| *r)).await;
    peer.close().await;
    drop(ws);
}

/// Start `n` silent clients "from" `addr`, one every 100 ms (a pace the
/// rendezvous's per-connection rate limit lets the host answer or refuse
/// without dropping its messages), and wait until each has reported.
fn start_silent(
    rt: &tokio::runtime::Runtime,
    rv: &Rendezvous,
    host: &str,
    addr: &str,
    n: usize,
    then: Then,
    release: &watch::Receiver<bool>,
) -> Vec<(Reached, Option<HostMessage>)> {
    let id = DeviceId::parse(host).expect("host id");
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..n {
        let pace = Duration::from_millis(100 * i as u64);
        rt.spawn(silent_client(
            pace,
            rv.url.clone(),
            id.clone(),
            addr.to_string(),
            then,
            tx.clone(),
            release.clone(),
        ));
    }
    drop(tx);
    rt.block_on(async {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        while got.len() < n {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => got.push(r),
                Ok(None) | Err(_) => panic!("only {} of {n} silent clients reported", got.len()),
            }
        }
        got
    })
}

#[test]
fn silent_hellos_from_one_address_do_not_lock_out_a_real_login() {
    let rv = Rendezvous::start_with(0, None, &["--trusted-proxy", "127.0.0.1/32"]);
    let (host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (release_tx, release) = watch::channel(false);
    let silent = start_silent(&rt, &rv, &id, SILENT_ADDR, 50, Then::Nothing, &release);
    let reached = |r| silent.iter().filter(|(s, _)| *s == r).count();
    assert_eq!(reached(Reached::Broken), 0, "{silent:?}");
    // The attack is real: hellos were answered (enough to hold every pending
    // slot before the fix), the others refused by the host.
    assert!(reached(Reached::Hello) >= 6, "{silent:?}");

    // Meanwhile a real viewer from another address (127.0.0.1) logs in at once.
    let viewer = Device::file();
    let started = Instant::now();
    let run = viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD)));
    let took = started.elapsed();
    let v = outcome(&run);
    assert_eq!((run.code, &v["ok"]), (0, &Value::Bool(true)), "{run:?}");
    assert!(took < Duration::from_secs(10), "the login took {took:?}");

    // The silent logins are counted against their address once their deadline passed.
    let file = host.dir.join("throttle.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.contains(SILENT_ADDR) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no counter for {SILENT_ADDR}: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = release_tx.send(true);
    rt.shutdown_timeout(Duration::from_secs(5));
}

#[test]
fn waiting_requests_are_capped_per_address_and_in_all() {
    let rv = Rendezvous::start_with(0, None, &["--trusted-proxy", "127.0.0.1/32"]);
    let (host, h) = unattended_host(&rv);
    host.run(&["interactive", "always"]).ok();
    let id = h.id().to_string();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (release_tx, release) = watch::channel(false);
    let waits = |got: &[(Reached, Option<HostMessage>)]| {
        got.iter()
            .all(|(r, m)| *r == Reached::Hello && matches!(m, Some(HostMessage::Waiting { .. })))
    };
    let refused_at_once = |got: &[(Reached, Option<HostMessage>)]| {
        matches!(
            got,
            [(
                Reached::Hello,
                Some(HostMessage::Denied {
                    error: handshake::DenialCode::Denied,
                    ..
                })
            )]
        )
    };
    // Two requests from one address wait for the person; a third is refused at once.
    let first = start_silent(&rt, &rv, &id, "192.0.2.1", 2, Then::Ask, &release);
    assert!(waits(&first), "{first:?}");
    let third = start_silent(&rt, &rv, &id, "192.0.2.1", 1, Then::Ask, &release);
    assert!(refused_at_once(&third), "{third:?}");
    // Other addresses still reach the person, up to 8 waiting in all.
    for addr in ["192.0.2.2", "192.0.2.3", "192.0.2.4"] {
        let got = start_silent(&rt, &rv, &id, addr, 2, Then::Ask, &release);
        assert!(waits(&got), "{addr}: {got:?}");
    }
    let listed = host.run(&["requests", "--json"]).json();
    assert_eq!(listed.as_array().map(|a| a.len()), Some(8), "{listed}");
    let ninth = start_silent(&rt, &rv, &id, "192.0.2.5", 1, Then::Ask, &release);
    assert!(refused_at_once(&ninth), "{ninth:?}");
    // Unattended logins are not held up by people who are waiting.
    let run = Device::file().connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD)));
    assert_eq!(
        (run.code, &outcome(&run)["ok"]),
        (0, &Value::Bool(true)),
        "{run:?}"
    );
    let _ = release_tx.send(true);
    rt.shutdown_timeout(Duration::from_secs(5));
}

#[test]
fn failure_counters_survive_a_host_restart() {
    let rv = Rendezvous::start(0, None);
    let (host, mut h) = unattended_host(&rv);
    let id = h.id().to_string();
    let viewer = Device::file();
    let (_, backoff) = fail_until_backoff(&viewer, &id, &rv, 7);
    let started = Instant::now();
    // SIGKILL: the counters must already be on disk.
    h.kill();
    let h = host.start_host(&rv);
    assert_eq!(h.id(), id);
    let run = viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD)));
    let v = outcome(&run);
    assert!(
        started.elapsed() < Duration::from_secs(backoff.saturating_sub(1)),
        "too slow to tell: {:?}",
        started.elapsed()
    );
    assert_eq!(
        (run.code, v["error"].as_str()),
        (3, Some("throttled")),
        "{run:?}"
    );

    // A damaged file is reported and the host starts with no counters.
    let mut h = h;
    h.kill();
    std::fs::write(host.dir.join("throttle.json"), b"{ this is not json").expect("damage");
    let mut h = host.start_host(&rv);
    let run = viewer.connect(&id, &rv, &["--password-stdin"], Some(&pw(GOOD_PASSWORD)));
    assert_eq!(
        (run.code, &outcome(&run)["ok"]),
        (0, &Value::Bool(true)),
        "{run:?}"
    );
    h.kill();
    let stopped = h.finish(Duration::from_secs(5));
    assert!(
        stopped.stderr.contains("failed-login counters are damaged"),
        "{stopped:?}"
    );
}
