//! The pointer feature's command in `connect --commands`: `move X Y` (on
//! `session.pointer()`).

use latchkey_session::viewer::Session;
use serde_json::Value;

use super::script::done;

/// The words this feature answers to.
pub(super) const WORDS: &[&str] = &["move"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    Move(i32, i32),
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        let number = |s: &str| {
            s.trim()
                .parse::<i32>()
                .map_err(|_| format!("'{s}' is not a whole number"))
        };
        match word {
            "move" => Some((|| {
                let (x, y) = rest
                    .split_once(' ')
                    .ok_or_else(|| "move takes X Y".to_string())?;
                Ok(Script::Move(number(x)?, number(y)?))
            })()),
            _ => None,
        }
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        match self {
            Script::Move(x, y) => done(session.pointer().move_to(x, y).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(
            Script::parse("move", "10 -5"),
            Some(Ok(Script::Move(10, -5)))
        );
        assert!(matches!(Script::parse("move", "1"), Some(Err(_))));
        assert!(matches!(Script::parse("move", "a b"), Some(Err(_))));
        assert_eq!(Script::parse("click", ""), None);
    }
}
