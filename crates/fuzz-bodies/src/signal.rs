//! Text that arrives from outside as one piece: rendezvous frames, deep
//! links, control-socket request lines.

use latchkey_core::deep_link;
use latchkey_core::signal::{self, DeviceId, ErrorCode, MAX_MESSAGE_BYTES};
use latchkey_session::host::control_socket::{handle_line, ControlRequest, MAX_LINE};
use latchkey_session::host::requests::{RemotePointers, Requests};

use crate::assert_round_trip;

/// A rendezvous WebSocket text frame, read as the server reads a client's
/// and as a client reads the server's; also as a typed device ID.
pub fn rendezvous_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let client = signal::parse_client(text);
    let server = signal::parse_server(text);
    if text.len() > MAX_MESSAGE_BYTES {
        assert_eq!(client, Err(ErrorCode::TooLarge));
        assert_eq!(server, Err(ErrorCode::TooLarge));
    }
    if let Ok(m) = &client {
        let wire = signal::encode(m);
        assert_round_trip(m, wire.as_bytes(), |b| {
            signal::parse_client(std::str::from_utf8(b).map_err(|_| ErrorCode::Malformed)?)
        });
    }
    if let Ok(m) = &server {
        let wire = signal::encode(m);
        assert_round_trip(m, wire.as_bytes(), |b| {
            signal::parse_server(std::str::from_utf8(b).map_err(|_| ErrorCode::Malformed)?)
        });
    }
    if let Some(id) = DeviceId::parse(text) {
        let digits = id.as_str();
        assert!(
            digits.len() == 9
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0'),
            "{digits:?} is no device ID"
        );
        assert_eq!(DeviceId::parse(digits).as_ref(), Some(&id));
        assert_eq!(DeviceId::parse(&id.grouped()).as_ref(), Some(&id));
    }
    if signal::valid_session_id(text) {
        assert!((16..=64).contains(&text.len()));
    }
}

/// A `latchkey://` link, as the app receives it from anywhere on the web.
pub fn deep_link(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(link) = deep_link::parse(&text) else {
        return;
    };
    assert!(text.len() <= deep_link::MAX_LINK);
    if let Some(p) = &link.profile {
        assert!(latchkey_core::profile::validate_name(p).is_ok(), "{p:?}");
    }
    // Written back in its plainest form, it reads as the same link.
    let mut again = format!("latchkey://connect/{}", link.host_id.as_str());
    if let Some(p) = &link.profile {
        again.push_str("?profile=");
        for b in p.bytes() {
            again.push_str(&format!("%{b:02X}"));
        }
    }
    if again.len() <= deep_link::MAX_LINK {
        assert_eq!(deep_link::parse(&again), Ok(link));
    }
}

/// One request line on the host's control socket, answered as a trusted
/// caller's (no pending requests, no pointers).
pub fn control_request(data: &[u8]) {
    let (requests, pointers) = (Requests::default(), RemotePointers::default());
    let response = handle_line(data, &requests, &pointers);
    // Every answer can be written back to the client.
    let wire = serde_json::to_vec(&response).expect("a response serializes");
    assert!(serde_json::from_slice::<serde_json::Value>(&wire).is_ok());
    assert!(response.ok || response.code.is_some(), "{response:?}");
    if data.len() > MAX_LINE {
        return;
    }
    if let Ok(request) = serde_json::from_slice::<ControlRequest>(data) {
        let wire = serde_json::to_vec(&request).expect("a request serializes");
        assert_round_trip(&request, &wire, crate::from_json::<ControlRequest>);
    }
}
