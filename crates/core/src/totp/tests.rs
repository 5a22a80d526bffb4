//! TOTP window, replay refusal, recovery codes.

use super::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn secret() -> TotpSecret {
    TotpSecret::generate(&mut StdRng::seed_from_u64(9))
}

#[test]
fn rfc6238_reference_vector() {
    // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); its last 6 are ours.
    let s = TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
    assert_eq!(s.code_at_step(59 / STEP_SECS).expect("code"), "287082");
}

#[test]
fn window_is_current_step_plus_minus_one() {
    let s = secret();
    let now = UnixTime(1_700_000_000);
    let step = now.0 / STEP_SECS;
    for (delta, ok) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
        let st = (step as i64 + delta) as u64;
        let code = s.code_at_step(st).expect("code");
        let got = check_code(&s, &code, now, None);
        if ok {
            assert_eq!(got, Ok(st), "delta {delta}");
        } else {
            assert!(got.is_err(), "delta {delta}");
        }
    }
}

#[test]
fn replayed_code_is_refused() {
    let s = secret();
    let now = UnixTime(1_700_000_000);
    let mut tf = TwoFactor {
        enabled: true,
        ..TwoFactor::default()
    };
    let code = s.code_at_step(now.0 / STEP_SECS).expect("code");
    assert_eq!(tf.verify(&s, &code, now), Ok(SecondFactorUsed::Totp));
    assert_eq!(
        tf.verify(&s, &code, now.plus(5)),
        Err(CodeRefusal::Replayed)
    );
    // An older step still inside the window is refused too.
    let older = s.code_at_step(now.0 / STEP_SECS - 1).expect("code");
    assert_eq!(tf.verify(&s, &older, now), Err(CodeRefusal::Replayed));
    // The next step works.
    let next = s.code_at_step(now.0 / STEP_SECS + 1).expect("code");
    assert_eq!(
        tf.verify(&s, &next, now.plus(STEP_SECS)),
        Ok(SecondFactorUsed::Totp)
    );
}

#[test]
fn malformed_and_wrong_codes() {
    let s = secret();
    let mut tf = TwoFactor::default();
    assert_eq!(
        tf.verify(&s, "12ab56", UnixTime(0)),
        Err(CodeRefusal::Malformed)
    );
    assert_eq!(tf.verify(&s, "", UnixTime(0)), Err(CodeRefusal::Malformed));
    let right = s.code_at_step(1000).expect("code");
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    assert_eq!(
        tf.verify(&s, wrong, UnixTime(1000 * STEP_SECS)),
        Err(CodeRefusal::Wrong)
    );
}

#[test]
fn recovery_code_works_once() {
    let s = secret();
    let mut rng = StdRng::seed_from_u64(1);
    let mut tf = TwoFactor::default();
    let now = UnixTime(1_700_000_000);
    let code = s.code_at_step(now.0 / STEP_SECS).expect("code");
    let codes = tf.confirm(&s, &code, now, &mut rng).expect("confirm");
    assert!(tf.enabled);
    assert_eq!(codes.len(), RECOVERY_CODES);
    assert_eq!(codes[0].len(), 19);
    // Stored only as hashes.
    assert!(tf
        .recovery_codes
        .iter()
        .all(|h| h.len() == 64 && !codes.iter().any(|c| c.as_str() == h)));
    assert_eq!(
        tf.verify(&s, &codes[3], now),
        Ok(SecondFactorUsed::RecoveryCode { left: 9 })
    );
    assert_eq!(tf.verify(&s, &codes[3], now), Err(CodeRefusal::Wrong));
    // Case and dashes do not matter.
    let lower = codes[4].to_lowercase().replace('-', " ");
    assert_eq!(
        tf.verify(&s, &lower, now),
        Ok(SecondFactorUsed::RecoveryCode { left: 8 })
    );
}

#[test]
fn confirm_needs_a_right_code_and_exemptions_apply() {
    let s = secret();
    let mut rng = StdRng::seed_from_u64(2);
    let mut tf = TwoFactor::default();
    assert!(tf.confirm(&s, "123", UnixTime(0), &mut rng).is_err());
    assert!(!tf.enabled);
    assert!(!tf.applies_to(LoginKind::Password));
    tf.enabled = true;
    assert!(
        tf.applies_to(LoginKind::Password)
            && tf.applies_to(LoginKind::Token)
            && tf.applies_to(LoginKind::Reconnect)
    );
    tf.apply_to_tokens = false;
    tf.apply_to_reconnect = false;
    assert!(
        tf.applies_to(LoginKind::Password)
            && !tf.applies_to(LoginKind::Token)
            && !tf.applies_to(LoginKind::Reconnect)
    );
    tf.disable();
    assert!(!tf.enabled && tf.recovery_codes.is_empty() && tf.last_used_step.is_none());
}

#[test]
fn enrolment_makes_uri_and_svg() {
    let e = enroll("ABCD-EFGH-IJKL-MNOP", &mut StdRng::seed_from_u64(3)).expect("enroll");
    assert!(
        e.uri.starts_with("otpauth://totp/Latchkey:"),
        "{}",
        e.uri.as_str()
    );
    assert!(e
        .uri
        .contains(&format!("secret={}", e.secret.base32().as_str())));
    assert!(e.uri.contains("issuer=Latchkey"));
    assert!(e.qr_svg.starts_with("<?xml") && e.qr_svg.contains("<svg"));
    assert_eq!(e.secret.to_bytes().len(), 20);
    assert_eq!(format!("{:?}", e.secret), "TotpSecret(REDACTED)");
}
