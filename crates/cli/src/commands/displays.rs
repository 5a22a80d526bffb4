//! The displays feature's commands in `connect --commands`: `displays`,
//! `display ID` (on `session.displays()`).

use latchkey_session::viewer::Session;
use serde_json::{json, Value};

use super::script::failed;

/// The words this feature answers to.
pub(super) const WORDS: &[&str] = &["displays", "display"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    List,
    Switch(u32),
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        match word {
            "displays" => Some(Ok(Script::List)),
            "display" => Some(
                rest.trim()
                    .parse()
                    .map(Script::Switch)
                    .map_err(|_| format!("'{rest}' is not a display id")),
            ),
            _ => None,
        }
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        match self {
            Script::List => match session.displays().list().await {
                Ok((displays, current)) => {
                    json!({"ok": true, "displays": displays, "current": current})
                }
                Err(e) => failed(e),
            },
            Script::Switch(id) => match session.displays().switch(id).await {
                Ok(d) => json!({"ok": true, "display": d}),
                Err(e) => failed(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(Script::parse("display", "7"), Some(Ok(Script::Switch(7))));
        assert!(matches!(Script::parse("display", "x"), Some(Err(_))));
    }
}
