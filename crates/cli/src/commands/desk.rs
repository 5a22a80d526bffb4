//! Keeping the person at the host's desk out, in `connect --commands`:
//! `block-input on|off` (on `session.block_input()`) and `privacy on|off`
//! (on `session.privacy_mode()`), `lock-on-end on|off` (on
//! `session.lock_on_end()`).

use latchkey_session::viewer::Session;
use serde_json::{json, Value};

use super::script::refused;

/// The words this feature answers to.
pub(super) const WORDS: &[&str] = &["block-input", "privacy", "lock-on-end"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    BlockInput(bool),
    Privacy(bool),
    LockOnEnd(bool),
}

/// `on` or `off`.
fn switch(word: &str, rest: &str) -> Result<bool, String> {
    match rest.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{word} takes on or off, not '{other}'")),
    }
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        match word {
            "block-input" => Some(switch(word, rest).map(Script::BlockInput)),
            "privacy" => Some(switch(word, rest).map(Script::Privacy)),
            "lock-on-end" => Some(switch(word, rest).map(Script::LockOnEnd)),
            _ => None,
        }
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        let result = match self {
            Script::BlockInput(on) => session.block_input().set(on).await,
            Script::Privacy(on) => session.privacy_mode().set(on).await,
            Script::LockOnEnd(on) => session.lock_on_end().set(on).await,
        };
        match result {
            Ok(on) => json!({"ok": true, "on": on}),
            Err(e) => refused(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(
            Script::parse("block-input", "on"),
            Some(Ok(Script::BlockInput(true)))
        );
        assert_eq!(
            Script::parse("privacy", "off"),
            Some(Ok(Script::Privacy(false)))
        );
        assert!(matches!(Script::parse("privacy", "maybe"), Some(Err(_))));
        assert_eq!(Script::parse("clipboard-get", ""), None);
    }
}
