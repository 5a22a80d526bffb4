//! The server as a service: bad input, rate limits, capacity, TURN,
//! metrics, health and shutdown.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::{key, session_id, Client, TestServer};
use hmac::{Hmac, Mac as _};
use latchkey_core::signal::{ClientMessage, ErrorCode, ServerMessage, MAX_MESSAGE_BYTES};
use latchkey_rendezvous::{Limits, ServerConfig, TurnConfig};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn bad_frames_get_errors_and_the_server_keeps_serving() {
    let server = TestServer::start_default().await;
    let mut client = server.client().await;

    for text in ["{", "null", r#"{"type":"nope"}"#, r#"{"type":"offer"}"#] {
        client.send_raw(Message::Text(text.into())).await;
        client.expect_error(ErrorCode::Malformed).await;
    }
    client
        .send_raw(Message::Binary(vec![0u8, 1, 2].into()))
        .await;
    client.expect_error(ErrorCode::Malformed).await;
    // Over the protocol limit but within what the WebSocket layer reads.
    let big = format!(
        r#"{{"type":"lookup","id":"123456789","pad":"{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    client.send_raw(Message::Text(big.into())).await;
    client.expect_error(ErrorCode::TooLarge).await;
    client.ping().await;

    // Far too large: the WebSocket layer drops this connection...
    client
        .send_raw(Message::Text("y".repeat(4 * MAX_MESSAGE_BYTES).into()))
        .await;
    client.expect_closed().await;

    // ...and the server carries on.
    assert_eq!(server.get("/healthz").await, (200, "ok".to_owned()));
    let mut host = server.client().await;
    host.register(&key()).await;
    host.ping().await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn messages_over_the_rate_are_dropped_with_an_error() {
    let server = TestServer::start(ServerConfig {
        limits: Limits {
            messages_per_second: 1,
            burst: 5,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut client = server.client().await;
    for _ in 0..12 {
        client.send(&ClientMessage::Ping).await;
    }
    let (mut pongs, mut limited) = (0, 0);
    for _ in 0..12 {
        match client.recv().await {
            ServerMessage::Pong => pongs += 1,
            ServerMessage::Error {
                code: ErrorCode::RateLimited,
                ..
            } => limited += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    // The burst, plus a token or two refilled while sending on a slow machine.
    assert!((5..=7).contains(&pongs), "{pongs} pongs");
    assert_eq!(pongs + limited, 12);
    client.expect_silence(Duration::from_millis(100)).await;

    // The bucket refills.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.ping().await;
    server
        .wait_metric(
            "latchkey_rendezvous_refusals_total{reason=\"rate_limited\"}",
            limited,
        )
        .await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn connections_over_the_cap_get_503() {
    let server = TestServer::start(ServerConfig {
        limits: Limits {
            max_connections: 1,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut first = server.client().await;
    first.ping().await;
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/", server.addr)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    // HTTP routes are not counted.
    assert_eq!(server.get("/healthz").await.0, 200);

    // The slot comes back when the first client leaves.
    first.close().await;
    server
        .wait_metric("latchkey_rendezvous_connections", 0)
        .await;
    let mut second = Client::connect(&format!("ws://{}/ws", server.addr)).await;
    second.ping().await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn turn_credentials_follow_coturn_use_auth_secret() {
    let server = TestServer::start(ServerConfig {
        turn: Some(TurnConfig {
            secret: "north-wind".into(),
            urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
            ttl_s: 600,
        }),
        ..ServerConfig::default()
    })
    .await;

    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    host.send(&ClientMessage::TurnRequest).await;
    let ServerMessage::Turn {
        urls,
        username,
        credential,
        ttl_s,
    } = host.recv().await
    else {
        panic!("expected Turn");
    };
    assert_eq!(urls, ["turn:127.0.0.1:3478?transport=udp"]);
    assert_eq!(ttl_s, 600);
    let (expiry, label) = username.split_once(':').expect("expiry:label");
    assert_eq!(label, id.as_str());
    let expiry: u64 = expiry.parse().expect("unix time");
    assert!((before + 600..=before + 602).contains(&expiry), "{expiry}");

    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"north-wind").expect("hmac key");
    mac.update(username.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(credential, expected);

    // A viewer gets credentials too.
    let mut viewer = server.client().await;
    viewer.send(&ClientMessage::TurnRequest).await;
    assert!(matches!(viewer.recv().await, ServerMessage::Turn { .. }));
    server.stop().await.expect("clean shutdown");

    // Without a TURN secret: NoTurn.
    let server = TestServer::start_default().await;
    let mut client = server.client().await;
    client.send(&ClientMessage::TurnRequest).await;
    client.expect_error(ErrorCode::NoTurn).await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn metrics_count_hosts_connections_relays_and_refusals() {
    let server = TestServer::start_default().await;
    let (status, body) = server.get("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "# TYPE latchkey_rendezvous_connected_hosts gauge",
        "latchkey_rendezvous_connected_hosts 0",
        "# TYPE latchkey_rendezvous_connections gauge",
        "latchkey_rendezvous_connections 0",
        "# TYPE latchkey_rendezvous_sessions_relayed_total counter",
        "latchkey_rendezvous_sessions_relayed_total 0",
        "# TYPE latchkey_rendezvous_refusals_total counter",
        "latchkey_rendezvous_refusals_total{reason=\"unknown_id\"} 0",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "missing {line:?} in\n{body}"
        );
    }

    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = server.client().await;
    for _ in 0..2 {
        let session = session_id();
        viewer
            .send(&ClientMessage::Offer {
                to: id.clone(),
                session,
                sdp: "v=0".into(),
            })
            .await;
        assert!(matches!(host.recv().await, ServerMessage::Incoming { .. }));
    }
    let unknown = if id.as_str() == "123456789" {
        "987654321"
    } else {
        "123456789"
    };
    viewer
        .send(&ClientMessage::Offer {
            to: latchkey_core::signal::DeviceId::parse(unknown).expect("id"),
            session: session_id(),
            sdp: "v=0".into(),
        })
        .await;
    viewer.expect_error(ErrorCode::UnknownId).await;
    viewer.send_raw(Message::Text("{".into())).await;
    viewer.expect_error(ErrorCode::Malformed).await;

    assert_eq!(
        server.metric("latchkey_rendezvous_connected_hosts").await,
        Some(1)
    );
    assert_eq!(
        server.metric("latchkey_rendezvous_connections").await,
        Some(2)
    );
    assert_eq!(
        server
            .metric("latchkey_rendezvous_sessions_relayed_total")
            .await,
        Some(2)
    );
    for (reason, n) in [("unknown_id", 1), ("malformed", 1), ("host_offline", 0)] {
        let series = format!("latchkey_rendezvous_refusals_total{{reason=\"{reason}\"}}");
        assert_eq!(server.metric(&series).await, Some(n), "{series}");
    }

    // The host leaves: its session's viewer gets Byes, the gauges drop.
    host.close().await;
    server
        .wait_metric("latchkey_rendezvous_connected_hosts", 0)
        .await;
    server
        .wait_metric("latchkey_rendezvous_connections", 1)
        .await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn health_and_unknown_routes() {
    let server = TestServer::start_default().await;
    assert_eq!(server.get("/healthz").await, (200, "ok".to_owned()));
    assert_eq!(server.get("/nope").await.0, 404);
    // A plain GET on the WebSocket route is not an upgrade.
    assert!(server.get("/").await.0 >= 400);
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn shutdown_closes_connections_and_returns() {
    let server = TestServer::start_default().await;
    let mut host = server.client().await;
    host.register(&key()).await;
    let mut viewer = server.client().await;
    viewer.ping().await;
    let addr = server.addr;

    server.stop().await.expect("clean shutdown");
    for client in [&mut host, &mut viewer] {
        client.expect_error(ErrorCode::Unavailable).await;
        client.expect_closed().await;
    }
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// A host refusing a flood of offers ("host busy") still gets its answer to a
/// real viewer through: replies to sessions offered to it are not held to its
/// message rate (they are bounded by the offers the viewers' limits let in),
/// while anything else it sends still is.
#[tokio::test]
async fn a_host_refusing_a_flood_still_answers_real_viewers() {
    let server = TestServer::start(ServerConfig {
        limits: Limits {
            messages_per_second: 1,
            burst: 5,
            max_pending_per_host: 100,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut flood = Vec::new();
    for _ in 0..30 {
        let mut v = server.client().await;
        v.send(&ClientMessage::Offer {
            to: id.clone(),
            session: session_id(),
            sdp: "v=0".into(),
        })
        .await;
        flood.push(v);
    }
    for _ in 0..30 {
        match host.recv().await {
            ServerMessage::Incoming { session, .. } => {
                host.send(&ClientMessage::Bye {
                    session,
                    reason: Some("host busy".into()),
                })
                .await
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    for v in &mut flood {
        assert!(matches!(v.recv().await, ServerMessage::Bye { .. }));
    }
    let mut viewer = server.client().await;
    let session = session_id();
    viewer
        .send(&ClientMessage::Offer {
            to: id.clone(),
            session: session.clone(),
            sdp: "v=0".into(),
        })
        .await;
    match host.recv().await {
        ServerMessage::Incoming { session: s, .. } => assert_eq!(s, session),
        other => panic!("unexpected {other:?}"),
    }
    host.send(&ClientMessage::Answer {
        session: session.clone(),
        sdp: "answer".into(),
    })
    .await;
    match viewer.recv().await {
        ServerMessage::Answer { session: s, sdp } => {
            assert_eq!((s, sdp.as_str()), (session.clone(), "answer"))
        }
        other => panic!("the viewer got {other:?} instead of the host's answer"),
    }
    // A second answer to the same session counts as usual: more than the
    // bucket holds (5, refilled at 1 a second) are refused.
    for _ in 0..10 {
        host.send(&ClientMessage::Answer {
            session: session.clone(),
            sdp: "again".into(),
        })
        .await;
    }
    host.expect_error(ErrorCode::RateLimited).await;
    server.stop().await.expect("clean shutdown");
}
