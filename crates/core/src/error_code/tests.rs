//! The wire names are the strings the code used before the enum, and every
//! code is listed once.

use super::*;

/// The names as the control socket, the store and the viewer wrote them
/// (and `permission`, added with the session features).
const BEFORE: [&str; 26] = [
    "wrong_credentials",
    "second_factor_required",
    "second_factor_invalid",
    "denied",
    "throttled",
    "protocol",
    "host_offline",
    "unknown_id",
    "host_key_changed",
    "weak_password",
    "no_password",
    "not_found",
    "exists",
    "builtin",
    "bad_input",
    "secret_store",
    "forbidden",
    "malformed",
    "invalid",
    "unknown_request",
    "request_mismatch",
    "unsupported",
    "too_large",
    "permission",
    "session_ended",
    "local",
];

#[test]
fn every_code_round_trips_through_serde_as_its_old_name() {
    for (code, before) in ErrorCode::ALL.into_iter().zip(BEFORE) {
        let json = serde_json::to_string(&code).expect("json");
        assert_eq!(json, format!("\"{before}\""));
        assert_eq!(code.name(), before);
        assert_eq!(
            serde_json::from_str::<ErrorCode>(&json).expect("parse"),
            code
        );
        assert_eq!(ErrorCode::from_name(before), Some(code));
        assert_eq!(code, before);
    }
}

#[test]
fn all_lists_each_code_once() {
    let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ErrorCode::ALL.len());
}

#[test]
fn an_unknown_name_reads_as_local() {
    assert_eq!(
        serde_json::from_str::<ErrorCode>("\"from_a_newer_host\"").expect("parse"),
        ErrorCode::Local
    );
    assert_eq!(ErrorCode::from_name("from_a_newer_host"), None);
}

#[test]
fn denial_codes_keep_their_names() {
    for d in [
        DenialCode::WrongCredentials,
        DenialCode::SecondFactorRequired,
        DenialCode::SecondFactorInvalid,
        DenialCode::Denied,
        DenialCode::Throttled,
        DenialCode::Protocol,
    ] {
        assert_eq!(ErrorCode::from(d).name(), d.name());
    }
}
