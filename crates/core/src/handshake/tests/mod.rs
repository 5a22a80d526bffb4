//! Unit tests of the handshake messages, the transcript, and both state
//! machines driven against each other (`harness::progress`).

use super::*;
use crate::identity::DeviceKey;
use rand::rngs::StdRng;
use rand::SeedableRng;

#[test]
fn hello_binds_role_and_fingerprints() {
    let key = DeviceKey::generate(&mut StdRng::seed_from_u64(1));
    let t = transcript("AA:BB", "CC:DD");
    let sig = key.sign(&hello_message(Role::Viewer, &t));
    key.public()
        .verify(&hello_message(Role::Viewer, &t), &sig)
        .expect("valid");
    assert!(
        key.public()
            .verify(&hello_message(Role::Host, &t), &sig)
            .is_err(),
        "no reflection"
    );
    let other = transcript("AA:BB", "CC:DE");
    assert!(
        key.public()
            .verify(&hello_message(Role::Viewer, &other), &sig)
            .is_err(),
        "other connection"
    );
    assert_eq!(transcript("aa:bb ", "cc:dd"), t);
}

#[test]
fn messages_round_trip_and_garbage_is_protocol() {
    let m = ViewerMessage::Password {
        profile: None,
        request: vec![1, 2, 3],
        remember: true,
    };
    let text = serde_json::to_vec(&m).expect("json");
    assert_eq!(parse::<ViewerMessage>(&text), Ok(m));
    assert_eq!(parse::<ViewerMessage>(b"{nope"), Err(DenialCode::Protocol));
    assert_eq!(
        parse::<ViewerMessage>(&vec![b' '; MAX_CONTROL_MESSAGE + 1]),
        Err(DenialCode::Protocol)
    );
    let g = HostMessage::Granted {
        method: Method::Token,
        profile: "default".into(),
        permissions: PermissionSet::NONE,
        token: None,
    };
    assert_eq!(
        parse::<HostMessage>(&serde_json::to_vec(&g).expect("json")),
        Ok(g)
    );
}

mod harness;
mod host_paths;
mod viewer_paths;
