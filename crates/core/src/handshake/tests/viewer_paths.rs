//! The viewer believes only what comes in the order the protocol allows.

use super::harness::*;
use crate::handshake::viewer::{Credential, ViewerInput, ViewerOutcome, TRANSCRIPT_MISMATCH};
use crate::handshake::{
    self, DenialCode, HandshakeError, HostMessage, Method, Role, ViewerMessage,
};
use crate::identity::DeviceKey;
use crate::permission::PermissionSet;
use crate::signal::{DeviceId, Signature};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Step until the viewer has sent a message matching `sent`; the host has
/// not read it yet.
fn until_sent(h: &mut HostSide, v: &mut ViewerSide, sent: impl Fn(&ViewerMessage) -> bool) {
    for _ in 0..50 {
        if v.sent.iter().any(&sent) {
            return;
        }
        assert!(progress(h, v), "stalled");
    }
    panic!("never sent");
}

fn grant(method: Method) -> HostMessage {
    HostMessage::Granted {
        method,
        profile: "default".into(),
        permissions: PermissionSet::all(),
        token: None,
    }
}

fn failed(v: &ViewerSide) -> String {
    match &v.outcome {
        Some(ViewerOutcome::Failed(e)) => e.to_string(),
        other => panic!("expected a protocol failure, got {other:?}"),
    }
}

fn is_password(m: &ViewerMessage) -> bool {
    matches!(m, ViewerMessage::Password { .. })
}

#[test]
fn granted_before_the_opaque_finish_is_not_believed() {
    let mut h = host(store());
    let mut v = viewer_with(password(PASSWORD, false), 10, None, Some("123456".into()));
    until_sent(&mut h, &mut v, is_password);
    // A fake host answers "granted" instead of a challenge.
    v.feed(ViewerInput::Message(grant(Method::Password)), &mut h);
    assert_eq!(
        v.outcome,
        Some(ViewerOutcome::Failed(HandshakeError::UnexpectedMessage {
            expected: "password_challenge",
            got: "granted",
        }))
    );
}

#[test]
fn second_factor_request_before_the_finish_gets_no_code() {
    let mut h = host(store());
    let mut v = viewer_with(password(PASSWORD, false), 10, None, Some("123456".into()));
    until_sent(&mut h, &mut v, is_password);
    v.feed(
        ViewerInput::Message(HostMessage::SecondFactorRequired),
        &mut h,
    );
    assert_eq!(failed(&v), "expected password_challenge");
    assert!(
        !v.sent
            .iter()
            .any(|m| matches!(m, ViewerMessage::SecondFactor { .. })),
        "the code never leaves for a host that did not check the password"
    );
}

#[test]
fn a_password_login_granted_as_something_else_is_refused() {
    let mut h = host(store());
    let mut v = viewer(password(PASSWORD, false), 10);
    until_sent(&mut h, &mut v, |m| {
        matches!(m, ViewerMessage::PasswordFinish { .. })
    });
    v.feed(ViewerInput::Message(grant(Method::Accepted)), &mut h);
    assert_eq!(
        failed(&v),
        "the host granted a password login as 'accepted'"
    );
}

#[test]
fn waiting_and_a_second_hello_are_out_of_order_in_a_password_login() {
    for odd in [
        HostMessage::Waiting { timeout_s: 60 },
        HostMessage::PasswordChallenge {
            response: vec![1],
            ksf: crate::pake::KsfParams::DEFAULT,
        },
    ] {
        let mut h = host(store());
        let mut v = viewer(password(PASSWORD, false), 10);
        until_sent(&mut h, &mut v, |m| {
            matches!(m, ViewerMessage::PasswordFinish { .. })
        });
        let kind = odd.kind();
        v.feed(ViewerInput::Message(odd), &mut h);
        assert!(
            matches!(&v.outcome, Some(ViewerOutcome::Failed(HandshakeError::UnexpectedMessage { got, .. })) if *got == kind),
            "{:?}",
            v.outcome
        );
    }
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    until_sent(&mut h, &mut v, |m| matches!(m, ViewerMessage::Ask { .. }));
    let hello = h.sent.first().expect("host hello").clone();
    v.feed(ViewerInput::Message(hello), &mut h);
    assert!(failed(&v).starts_with("expected "), "{:?}", v.outcome);
}

fn signed_host_hello(transcript: &[u8], host_id: Option<DeviceId>) -> HostMessage {
    let key = DeviceKey::generate(&mut StdRng::seed_from_u64(77));
    HostMessage::Hello {
        version: handshake::VERSION,
        device_key: key.public(),
        host_id,
        signature: Signature(key.sign(&handshake::hello_message(Role::Host, transcript))),
    }
}

#[test]
fn a_host_hello_over_another_connection_or_claiming_another_id_is_refused() {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    let other = handshake::transcript("AA:BB:CC", "66:66:66");
    v.feed(
        ViewerInput::Message(signed_host_hello(&other, None)),
        &mut h,
    );
    assert!(
        failed(&v).starts_with(TRANSCRIPT_MISMATCH),
        "{:?}",
        v.outcome
    );
    assert_eq!(v.host_keys_checked, 0);

    let mut v = viewer(Credential::Ask, 10);
    let elsewhere = DeviceId::from_number(987_654_321);
    v.feed(
        ViewerInput::Message(signed_host_hello(&transcript(), elsewhere)),
        &mut h,
    );
    assert_eq!(failed(&v), "the host claims another ID");
}

#[test]
fn nothing_is_sent_until_the_host_key_is_trusted() {
    let mut h = host(store());
    let mut v = viewer(password(PASSWORD, false), 10);
    v.trusts_host = false;
    run(&mut h, &mut v);
    assert_eq!(v.host_keys_checked, 1);
    assert_eq!(v.sent.len(), 1, "only the hello: {:?}", v.sent);
    assert!(matches!(v.outcome, Some(ViewerOutcome::Failed(_))));
}

#[test]
fn a_silent_host_is_gone_after_the_step() {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    v.drain(&mut h);
    assert_eq!(v.deadline, Some(START.plus(10)));
    v.now = START.plus(10);
    v.feed(ViewerInput::Tick, &mut h);
    assert_eq!(v.outcome, Some(ViewerOutcome::HostGone));
}

#[test]
fn waiting_gives_the_accept_window_its_time() {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    until_sent(&mut h, &mut v, |m| matches!(m, ViewerMessage::Ask { .. }));
    while v.deadline != Some(h.now.plus(70)) {
        assert!(progress(&mut h, &mut v));
    }
    // The person answers after 65 s: the viewer still waits.
    v.now = v.now.plus(65);
    v.feed(ViewerInput::Tick, &mut h);
    assert!(v.outcome.is_none());
}

#[test]
fn a_refusal_before_the_hello_is_reported_as_such() {
    let mut h = host(store());
    let mut v = viewer(Credential::Ask, 10);
    v.feed(
        ViewerInput::Message(HostMessage::Denied {
            error: DenialCode::Throttled,
            retry_after_s: Some(9),
            message: "too many failed attempts".into(),
        }),
        &mut h,
    );
    assert_eq!(
        v.outcome,
        Some(ViewerOutcome::Denied {
            code: DenialCode::Throttled,
            retry_after_s: Some(9),
            message: "too many failed attempts".into(),
        })
    );
    let mut v = viewer(Credential::Ask, 10);
    v.feed(ViewerInput::Malformed, &mut h);
    assert_eq!(failed(&v), "malformed message from the host");
}
