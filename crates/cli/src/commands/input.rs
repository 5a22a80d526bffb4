//! The input feature's commands in `connect --commands`: `click`, `type`,
//! `key`, `sync` (on `session.input()`).

use latchkey_media::{InputEvent, MouseButton};
use latchkey_session::viewer::Session;
use serde_json::Value;

use super::script::{done, failed};

/// The words this feature answers to.
pub(super) const WORDS: &[&str] = &["click", "type", "key", "sync"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    Click(MouseButton),
    Type(String),
    Key(String, bool),
    Sync,
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        Some(match word {
            "click" => match rest.trim() {
                "" | "left" => Ok(Script::Click(MouseButton::Left)),
                "middle" => Ok(Script::Click(MouseButton::Middle)),
                "right" => Ok(Script::Click(MouseButton::Right)),
                other => Err(format!("'{other}' is not a button (left, middle, right)")),
            },
            "type" => Ok(Script::Type(rest.to_string())),
            "key" => match rest.split_once(' ') {
                Some((code, "down")) => Ok(Script::Key(code.to_string(), true)),
                Some((code, "up")) => Ok(Script::Key(code.to_string(), false)),
                _ => Err("key takes CODE down|up".into()),
            },
            "sync" => Ok(Script::Sync),
            _ => return None,
        })
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        let input = session.input();
        match self {
            Script::Click(button) => match input.send(InputEvent::ButtonDown { button }).await {
                Ok(()) => done(input.send(InputEvent::ButtonUp { button }).await),
                Err(e) => failed(e),
            },
            Script::Type(text) => done(input.send(InputEvent::Text { text }).await),
            Script::Key(code, true) => done(input.send(InputEvent::KeyDown { code }).await),
            Script::Key(code, false) => done(input.send(InputEvent::KeyUp { code }).await),
            Script::Sync => done(input.sync().await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        let parse = |line: &str| {
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            Script::parse(word, rest).expect("an input command")
        };
        assert_eq!(parse("click"), Ok(Script::Click(MouseButton::Left)));
        assert_eq!(parse("click right"), Ok(Script::Click(MouseButton::Right)));
        assert_eq!(
            parse("type hello world"),
            Ok(Script::Type("hello world".into()))
        );
        assert_eq!(
            parse("key ShiftLeft down"),
            Ok(Script::Key("ShiftLeft".into(), true))
        );
        assert!(parse("key KeyA sideways").is_err());
        assert!(parse("click thumb").is_err());
        assert_eq!(Script::parse("move", "1 2"), None);
    }
}
