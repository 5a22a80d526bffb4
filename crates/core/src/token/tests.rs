//! Token binding, epochs and revocation, plus property tests: a mutated token
//! or key never verifies.

use super::*;
use crate::identity::DeviceKey;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn unattended_profiles() -> Profiles {
    let mut p = Profiles::default();
    let d = p.get_mut("default").expect("built-in");
    d.unattended = true;
    d.password = Some(crate::pake::PasswordRecord {
        credential_id: vec![1; 16],
        registration: vec![],
        ksf: crate::pake::KsfParams::DEFAULT,
    });
    p
}

fn setup() -> (Tokens, Profiles, DevicePublicKey, Token, StdRng) {
    let mut rng = StdRng::seed_from_u64(11);
    let key = DeviceKey::generate(&mut rng).public();
    let profiles = unattended_profiles();
    let mut tokens = Tokens::default();
    let (token, record) = tokens
        .issue(key, "default", 0, "laptop", UnixTime(100), &mut rng)
        .expect("issue");
    assert_eq!(record.hash, Sha256::digest(token.as_bytes()).to_vec());
    (tokens, profiles, key, token, rng)
}

#[test]
fn right_token_right_key_logs_in() {
    let (mut tokens, profiles, key, token, _) = setup();
    assert_eq!(
        tokens.verify(&token, &key, &profiles, UnixTime(200)),
        Ok("default".to_string())
    );
    assert_eq!(
        tokens.iter().next().and_then(|r| r.last_used),
        Some(UnixTime(200))
    );
}

#[test]
fn wrong_device_key_is_refused() {
    let (mut tokens, profiles, _, token, mut rng) = setup();
    let other = DeviceKey::generate(&mut rng).public();
    assert_eq!(
        tokens.verify(&token, &other, &profiles, UnixTime(200)),
        Err(TokenRefusal::WrongDevice)
    );
}

#[test]
fn epoch_bump_kills_and_profile_state_matters() {
    let (mut tokens, mut profiles, key, token, _) = setup();
    profiles.get_mut("default").expect("p").epoch += 1;
    assert_eq!(
        tokens.verify(&token, &key, &profiles, UnixTime(1)),
        Err(TokenRefusal::StaleEpoch)
    );
    profiles.get_mut("default").expect("p").epoch -= 1;
    profiles.get_mut("default").expect("p").unattended = false;
    assert_eq!(
        tokens.verify(&token, &key, &profiles, UnixTime(1)),
        Err(TokenRefusal::ProfileUnavailable)
    );
    profiles.get_mut("default").expect("p").unattended = true;
    profiles.get_mut("default").expect("p").enabled = false;
    assert_eq!(
        tokens.verify(&token, &key, &profiles, UnixTime(1)),
        Err(TokenRefusal::ProfileUnavailable)
    );
}

#[test]
fn revoke_and_clear() {
    let (mut tokens, profiles, key, token, mut rng) = setup();
    let (t2, r2) = tokens
        .issue(key, "default", 0, "phone", UnixTime(5), &mut rng)
        .expect("issue");
    tokens.revoke(&r2.id).expect("revoke");
    assert_eq!(
        tokens.verify(&t2, &key, &profiles, UnixTime(6)),
        Err(TokenRefusal::Unknown)
    );
    assert!(tokens.verify(&token, &key, &profiles, UnixTime(6)).is_ok());
    assert!(tokens.revoke("nope").is_err());
    assert_eq!(tokens.clear(), 1);
    assert_eq!(
        tokens.verify(&token, &key, &profiles, UnixTime(7)),
        Err(TokenRefusal::Unknown)
    );
}

#[test]
fn text_form_round_trips_and_debug_is_redacted() {
    let (_, _, _, token, _) = setup();
    let text = token.expose();
    assert_eq!(text.len(), 43);
    assert_eq!(Token::parse(&text).expect("parse"), token);
    assert_eq!(format!("{token:?}"), "Token(REDACTED)");
    assert!(Token::parse("short").is_err());
    assert!(tokens_label_checked());
}

fn tokens_label_checked() -> bool {
    validate_label(&"x".repeat(65)).is_err()
        && validate_label("bad\nlabel").is_err()
        && validate_label("Ana's laptop").is_ok()
}

proptest! {
    #[test]
    fn a_mutated_token_never_verifies(byte in 0usize..32, bit in 0u8..8) {
        let (mut tokens, profiles, key, token, _) = setup();
        let mut bytes = *token.as_bytes();
        bytes[byte] ^= 1 << bit;
        let mutated = Token(Zeroizing::new(bytes));
        prop_assert_eq!(tokens.verify(&mutated, &key, &profiles, UnixTime(1)), Err(TokenRefusal::Unknown));
    }

    #[test]
    fn a_mutated_key_never_verifies(byte in 0usize..32, bit in 0u8..8) {
        let (mut tokens, profiles, key, token, _) = setup();
        let mut k = key;
        k.0[byte] ^= 1 << bit;
        prop_assert_eq!(tokens.verify(&token, &k, &profiles, UnixTime(1)), Err(TokenRefusal::WrongDevice));
    }

    #[test]
    fn a_random_token_never_verifies(bytes in proptest::array::uniform32(any::<u8>())) {
        let (mut tokens, profiles, key, token, _) = setup();
        prop_assume!(&bytes != token.as_bytes());
        let random = Token(Zeroizing::new(bytes));
        prop_assert!(tokens.verify(&random, &key, &profiles, UnixTime(1)).is_err());
    }
}
