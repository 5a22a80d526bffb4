//! Files a host reads at start: `settings.json` and the `secrets` file (the
//! parse functions, not the disk), and what each secret's bytes become.

use latchkey_core::identity::DeviceKey;
use latchkey_core::pake::ServerSecret;
use latchkey_core::settings::Settings;
use latchkey_core::token::Token;
use latchkey_core::totp::TotpSecret;
use latchkey_store::secrets;
use latchkey_store::settings_file::{self, MAX_SETTINGS_BYTES};

use crate::assert_round_trip;

/// `settings.json`'s bytes: read (size first, then UTF-8, JSON, migrations
/// and invariants); what was read writes back to settings that read the same.
pub fn settings_file(data: &[u8]) {
    let read = settings_file::parse(data);
    if data.len() as u64 > MAX_SETTINGS_BYTES {
        assert!(read.is_err());
        return;
    }
    let Ok(settings) = read else {
        return;
    };
    let json = settings.to_json().expect("read settings serialize");
    assert_round_trip(&settings, json.as_bytes(), settings_file::parse);
    // And through the typed path the CLI's writers use.
    assert_eq!(Settings::from_json(&json).as_ref().ok(), Some(&settings));
}

/// The `secrets` file's text, then every value as each kind of secret.
pub fn secrets_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(map) = secrets::parse_file(text) else {
        return;
    };
    for value in map.values() {
        let Some(bytes) = secrets::decode_value(value) else {
            continue;
        };
        if let Ok(key) = DeviceKey::from_secret_bytes(&bytes) {
            let again = DeviceKey::from_secret_bytes(&key.to_secret_bytes()).expect("key");
            assert_eq!(again.public(), key.public());
        }
        if let Ok(server) = ServerSecret::from_bytes(&bytes) {
            let again = ServerSecret::from_bytes(&server.to_bytes()).expect("server secret");
            assert_eq!(*again.to_bytes(), *server.to_bytes());
        }
        if let Ok(totp) = TotpSecret::from_bytes(&bytes) {
            assert!(totp.code_at_step(1).is_ok());
        }
        if let Ok(Ok(t)) = std::str::from_utf8(&bytes).map(Token::parse) {
            let again = Token::parse(&t.expose()).expect("token");
            assert_eq!(again.as_bytes(), t.as_bytes());
        }
    }
}
