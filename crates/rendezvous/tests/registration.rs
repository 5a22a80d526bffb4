//! Host registration: IDs bound to keys for good, signatures, replacement,
//! presence.

mod common;

use common::{key, TestServer};
use latchkey_core::signal::{register_message, ClientMessage, ErrorCode, ServerMessage, Signature};
use latchkey_rendezvous::ServerConfig;

#[tokio::test]
async fn a_key_gets_the_same_id_on_every_connection() {
    let server = TestServer::start_default().await;
    let host_key = key();
    let mut host = server.client().await;
    let id = host.register(&host_key).await;
    host.close().await;

    let mut again = server.client().await;
    assert_eq!(again.register(&host_key).await, id);
    assert_eq!(id.as_str().len(), 9);
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn another_key_cannot_take_an_id() {
    let server = TestServer::start_default().await;
    let (a, b) = (key(), key());
    let mut host_a = server.client().await;
    let id_a = host_a.register(&a).await;

    // B registering gets its own ID.
    let mut host_b = server.client().await;
    let id_b = host_b.register(&b).await;
    assert_ne!(id_a, id_b);

    // B claiming A's public key cannot sign A's challenge.
    let mut impostor = server.client().await;
    let nonce = impostor.hello(&a).await;
    impostor
        .send(&ClientMessage::Register {
            signature: Signature(b.sign(&register_message(&nonce))),
        })
        .await;
    impostor.expect_error(ErrorCode::BadSignature).await;

    // Offers to A's ID still reach A, not B.
    let mut viewer = server.client().await;
    let session = common::session_id();
    viewer
        .send(&ClientMessage::Offer {
            to: id_a.clone(),
            session: session.clone(),
            sdp: "v=0".into(),
        })
        .await;
    match host_a.recv().await {
        ServerMessage::Incoming { session: s, .. } => assert_eq!(s, session),
        other => panic!("expected Incoming, got {other:?}"),
    }
    host_b
        .expect_silence(std::time::Duration::from_millis(200))
        .await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_id_survives_a_restart_with_the_same_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = ServerConfig {
        db_path: Some(dir.path().join("ids.sqlite")),
        ..ServerConfig::default()
    };
    let host_key = key();

    let server = TestServer::start(config.clone()).await;
    let id = server.client().await.register(&host_key).await;
    server.stop().await.expect("clean shutdown");

    let server = TestServer::start(config).await;
    let mut host = server.client().await;
    assert_eq!(host.register(&host_key).await, id);
    // A new key still gets a different ID.
    let mut other = server.client().await;
    assert_ne!(other.register(&key()).await, id);
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_the_nonce_is_single_use() {
    let server = TestServer::start_default().await;
    let host_key = key();
    let mut host = server.client().await;
    let nonce = host.hello(&host_key).await;

    // Signed without the context prefix.
    host.send(&ClientMessage::Register {
        signature: Signature(host_key.sign(&nonce)),
    })
    .await;
    host.expect_error(ErrorCode::BadSignature).await;

    // The challenge is gone: even the right signature now needs a new Hello.
    host.send(&ClientMessage::Register {
        signature: Signature(host_key.sign(&register_message(&nonce))),
    })
    .await;
    host.expect_error(ErrorCode::NotRegistered).await;

    // The connection is still usable.
    host.register(&host_key).await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn register_without_hello_is_refused() {
    let server = TestServer::start_default().await;
    let mut client = server.client().await;
    client
        .send(&ClientMessage::Register {
            signature: Signature([7; 64]),
        })
        .await;
    client.expect_error(ErrorCode::NotRegistered).await;
    client.ping().await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_second_connection_with_the_same_key_replaces_the_first() {
    let server = TestServer::start_default().await;
    let host_key = key();
    let mut first = server.client().await;
    let id = first.register(&host_key).await;

    let mut second = server.client().await;
    assert_eq!(second.register(&host_key).await, id);
    first.expect_error(ErrorCode::Replaced).await;
    first.expect_closed().await;

    // The ID stays online (held by the second connection), and offers go there.
    let mut viewer = server.client().await;
    assert!(viewer.lookup(&id).await);
    let session = common::session_id();
    viewer
        .send(&ClientMessage::Offer {
            to: id,
            session: session.clone(),
            sdp: "v=0".into(),
        })
        .await;
    match second.recv().await {
        ServerMessage::Incoming { session: s, .. } => assert_eq!(s, session),
        other => panic!("expected Incoming, got {other:?}"),
    }
    server
        .wait_metric("latchkey_rendezvous_connected_hosts", 1)
        .await;
    server.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn lookup_reports_presence() {
    let server = TestServer::start_default().await;
    let mut viewer = server.client().await;
    let mut host = server.client().await;
    let id = host.register(&key()).await;
    assert!(viewer.lookup(&id).await);

    host.close().await;
    viewer.wait_presence(&id, false).await;

    // Never registered: offline too.
    let unknown = latchkey_core::signal::DeviceId::parse(if id.as_str() == "123456789" {
        "987654321"
    } else {
        "123456789"
    })
    .expect("id");
    assert!(!viewer.lookup(&unknown).await);
    server.stop().await.expect("clean shutdown");
}
