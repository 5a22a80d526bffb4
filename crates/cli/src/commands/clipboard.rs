//! The clipboard feature's commands in `connect --commands`:
//! `clipboard-set TEXT`, `clipboard-get` (on `session.clipboard()`).

use latchkey_session::viewer::Session;
use serde_json::{json, Value};

use super::script::refused;

/// The words this feature answers to.
pub(super) const WORDS: &[&str] = &["clipboard-set", "clipboard-get"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    Set(String),
    Get,
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        match word {
            "clipboard-set" => Some(Ok(Script::Set(rest.to_string()))),
            "clipboard-get" => Some(Ok(Script::Get)),
            _ => None,
        }
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        match self {
            Script::Set(text) => match session.clipboard().set(&text).await {
                Ok(()) => json!({"ok": true}),
                Err(e) => refused(e),
            },
            Script::Get => match session.clipboard().get().await {
                Ok(text) => json!({"ok": true, "text": text}),
                Err(e) => refused(e),
            },
        }
    }
}
