//! Session relay between a viewer and a host: offer, answer, candidates,
//! bye, and the refusals around them.

mod common;

use std::time::Duration;

use common::{end_session, expect_incoming, key, session_id, Client, TestServer};
use latchkey_core::signal::{ClientMessage, DeviceId, ErrorCode, ServerMessage};
use latchkey_rendezvous::{Limits, ServerConfig};

/// Viewer sends an offer for `session` to `to`.
async fn offer(viewer: &mut Client, to: &DeviceId, session: &str) {
    viewer
        .send(&ClientMessage::Offer {
            to: to.clone(),
            session: session.to_owned(),
            sdp: format!("v=0 offer {session}"),
        })
        .await;
}

/// An ID that is not `taken`.
fn other_id(taken: &DeviceId) -> DeviceId {
    let text = if taken.as_str() == "123456789" {
        "987654321"
    } else {
        "123456789"
    };
    DeviceId::parse(text).expect("id")
}

#[tokio::test]
async fn offer_answer_candidates_and_bye_are_relayed() {
    let server = TestServer::start_default().await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = server.client().await;
    let session = session_id();

    offer(&mut viewer, &id, &session).await;
    expect_incoming(&mut host, &session).await;

    // A candidate from the viewer before the answer already reaches the host.
    viewer
        .send(&ClientMessage::Candidate {
            session: session.clone(),
            candidate: "viewer-candidate-1".into(),
        })
        .await;
    assert_eq!(
        host.recv().await,
        ServerMessage::Candidate {
            session: session.clone(),
            candidate: "viewer-candidate-1".into()
        }
    );

    host.send(&ClientMessage::Answer {
        session: session.clone(),
        sdp: "v=0 answer".into(),
    })
    .await;
    assert_eq!(
        viewer.recv().await,
        ServerMessage::Answer {
            session: session.clone(),
            sdp: "v=0 answer".into()
        }
    );

    host.send(&ClientMessage::Candidate {
        session: session.clone(),
        candidate: "host-candidate-1".into(),
    })
    .await;
    assert_eq!(
        viewer.recv().await,
        ServerMessage::Candidate {
            session: session.clone(),
            candidate: "host-candidate-1".into()
        }
    );

    // Ended, the session is forgotten.
    end_session(&mut viewer, &mut host, &session).await;
    viewer.expect_silence(Duration::from_millis(100)).await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn unknown_ids_and_offline_hosts_are_told_apart() {
    let server = TestServer::start_default().await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    host.close().await;

    let mut viewer = server.client().await;
    viewer.wait_presence(&id, false).await;

    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    assert_eq!(
        viewer.expect_error(ErrorCode::HostOffline).await,
        Some(session)
    );

    let session = session_id();
    offer(&mut viewer, &other_id(&id), &session).await;
    assert_eq!(
        viewer.expect_error(ErrorCode::UnknownId).await,
        Some(session)
    );
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn bad_and_duplicate_session_ids_are_refused() {
    let server = TestServer::start_default().await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = server.client().await;

    for bad in ["short", "UPPERCASEHEX0123456789", &"a".repeat(65)] {
        offer(&mut viewer, &id, bad).await;
        viewer.expect_error(ErrorCode::Malformed).await;
    }

    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    expect_incoming(&mut host, &session).await;
    // The same identifier again, from anyone, is refused.
    let mut other_viewer = server.client().await;
    offer(&mut other_viewer, &id, &session).await;
    assert_eq!(
        other_viewer.expect_error(ErrorCode::Malformed).await,
        Some(session)
    );
    host.expect_silence(Duration::from_millis(100)).await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn only_the_two_parties_may_use_a_session() {
    let server = TestServer::start_default().await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = server.client().await;
    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    expect_incoming(&mut host, &session).await;

    // Another host cannot answer it; a stranger cannot inject candidates or end it.
    let mut other_host = server.client().await;
    other_host.register(&key()).await;
    other_host
        .send(&ClientMessage::Answer {
            session: session.clone(),
            sdp: "v=0 evil".into(),
        })
        .await;
    other_host.expect_error(ErrorCode::UnknownSession).await;
    let mut stranger = server.client().await;
    stranger
        .send(&ClientMessage::Candidate {
            session: session.clone(),
            candidate: "evil".into(),
        })
        .await;
    stranger.expect_error(ErrorCode::UnknownSession).await;
    stranger
        .send(&ClientMessage::Bye {
            session: session.clone(),
            reason: None,
        })
        .await;
    stranger.expect_error(ErrorCode::UnknownSession).await;
    // The viewer cannot answer its own offer either.
    viewer
        .send(&ClientMessage::Answer {
            session: session.clone(),
            sdp: "v=0".into(),
        })
        .await;
    viewer.expect_error(ErrorCode::UnknownSession).await;

    host.expect_silence(Duration::from_millis(100)).await;
    // The real session still works.
    host.send(&ClientMessage::Answer {
        session: session.clone(),
        sdp: "v=0 answer".into(),
    })
    .await;
    assert!(matches!(viewer.recv().await, ServerMessage::Answer { .. }));
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_disconnect_ends_the_peers_sessions_with_bye() {
    let server = TestServer::start_default().await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;

    // The viewer leaves: the host hears of it.
    let mut viewer = server.client().await;
    let first = session_id();
    offer(&mut viewer, &id, &first).await;
    expect_incoming(&mut host, &first).await;
    viewer.close().await;
    assert_eq!(
        host.recv().await,
        ServerMessage::Bye {
            session: first,
            reason: Some("peer disconnected".into())
        }
    );

    // The host leaves: every viewer hears of it.
    let mut viewer_a = server.client().await;
    let mut viewer_b = server.client().await;
    let (a, b) = (session_id(), session_id());
    offer(&mut viewer_a, &id, &a).await;
    expect_incoming(&mut host, &a).await;
    offer(&mut viewer_b, &id, &b).await;
    expect_incoming(&mut host, &b).await;
    host.send(&ClientMessage::Answer {
        session: a.clone(),
        sdp: "v=0".into(),
    })
    .await;
    assert!(matches!(
        viewer_a.recv().await,
        ServerMessage::Answer { .. }
    ));
    host.close().await;
    for (viewer, session) in [(&mut viewer_a, a), (&mut viewer_b, b)] {
        assert_eq!(
            viewer.recv().await,
            ServerMessage::Bye {
                session,
                reason: Some("peer disconnected".into())
            }
        );
    }
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn pending_sessions_per_host_are_capped() {
    let server = TestServer::start(ServerConfig {
        limits: Limits {
            max_pending_per_host: 2,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = server.client().await;

    let (s1, s2, s3) = (session_id(), session_id(), session_id());
    offer(&mut viewer, &id, &s1).await;
    expect_incoming(&mut host, &s1).await;
    offer(&mut viewer, &id, &s2).await;
    expect_incoming(&mut host, &s2).await;
    offer(&mut viewer, &id, &s3).await;
    assert_eq!(
        viewer.expect_error(ErrorCode::TooManyPending).await,
        Some(s3.clone())
    );

    // Answering one frees a place; so does a Bye.
    host.send(&ClientMessage::Answer {
        session: s1,
        sdp: "v=0".into(),
    })
    .await;
    assert!(matches!(viewer.recv().await, ServerMessage::Answer { .. }));
    offer(&mut viewer, &id, &s3).await;
    expect_incoming(&mut host, &s3).await;

    let s4 = session_id();
    offer(&mut viewer, &id, &s4).await;
    viewer.expect_error(ErrorCode::TooManyPending).await;
    viewer
        .send(&ClientMessage::Bye {
            session: s2.clone(),
            reason: None,
        })
        .await;
    assert!(matches!(host.recv().await, ServerMessage::Bye { .. }));
    offer(&mut viewer, &id, &s4).await;
    expect_incoming(&mut host, &s4).await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn pending_sessions_time_out() {
    let server = TestServer::start(ServerConfig {
        limits: Limits {
            pending_timeout: Duration::from_millis(300),
            max_pending_per_host: 1,
            ..Limits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = server.client().await;
    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    expect_incoming(&mut host, &session).await;

    let timed_out = ServerMessage::Bye {
        session: session.clone(),
        reason: Some("timed out waiting for the host".into()),
    };
    assert_eq!(viewer.recv().await, timed_out);
    assert_eq!(host.recv().await, timed_out);

    // Too late to answer; and the place is free again.
    host.send(&ClientMessage::Answer {
        session: session.clone(),
        sdp: "v=0".into(),
    })
    .await;
    host.expect_error(ErrorCode::UnknownSession).await;
    let next = session_id();
    offer(&mut viewer, &id, &next).await;
    expect_incoming(&mut host, &next).await;

    // An answered session does not time out.
    host.send(&ClientMessage::Answer {
        session: next,
        sdp: "v=0".into(),
    })
    .await;
    assert!(matches!(viewer.recv().await, ServerMessage::Answer { .. }));
    viewer.expect_silence(Duration::from_millis(600)).await;
    server.stop().await.expect("clean shutdown");
}

/// The `from_addr` the host sees for an offer from a viewer connected with `headers`.
async fn from_addr_seen(server: &TestServer, headers: &[(&'static str, &str)]) -> Option<String> {
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    let mut viewer = Client::connect_with_headers(&format!("ws://{}/", server.addr), headers).await;
    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    match host.recv().await {
        ServerMessage::Incoming { from_addr, .. } => from_addr,
        other => panic!("expected Incoming, got {other:?}"),
    }
}

#[tokio::test]
async fn forwarding_headers_count_only_from_a_trusted_proxy() {
    let xff = [("x-forwarded-for", "198.51.100.1, 203.0.113.7")];
    let fwd = [("forwarded", "for=\"[2001:db8::5]:4711\";proto=https")];
    // Trusted: the client the proxy names (the rightmost untrusted entry).
    let trusting = TestServer::start(ServerConfig {
        trusted_proxies: vec!["127.0.0.0/8".parse().expect("cidr")],
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(
        from_addr_seen(&trusting, &xff).await.as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        from_addr_seen(&trusting, &fwd).await.as_deref(),
        Some("2001:db8::5")
    );
    assert_eq!(
        from_addr_seen(&trusting, &[]).await.as_deref(),
        Some("127.0.0.1")
    );
    // Not trusted (no range, or one the peer is outside): the socket's address.
    let plain = TestServer::start_default().await;
    assert_eq!(
        from_addr_seen(&plain, &xff).await.as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        from_addr_seen(&plain, &fwd).await.as_deref(),
        Some("127.0.0.1")
    );
    let elsewhere = TestServer::start(ServerConfig {
        trusted_proxies: vec!["10.0.0.0/8".parse().expect("cidr")],
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(
        from_addr_seen(&elsewhere, &xff).await.as_deref(),
        Some("127.0.0.1")
    );
}
