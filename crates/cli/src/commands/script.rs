//! `connect --commands`: an open session driven line by line from standard
//! input, for scripts and tests. Each command is answered with one line of
//! JSON on standard output (`{"ok":true,...}` or `{"ok":false,"error":...}`);
//! `quit` or the end of input closes the session.
//!
//! Each feature's commands live in its own module (`input.rs`, `pointer.rs`,
//! `clipboard.rs`, `clipboard_files.rs`, `displays.rs`: an enum `Script` with `parse` and `run`, and
//! its `WORDS`); a new feature adds its module and one line to
//! `script_features!` below.

use latchkey_session::viewer::{Session, SessionError};
use serde_json::{json, Value};

/// The answer to a command that returns nothing.
pub(super) fn done(r: Result<(), latchkey_session::Error>) -> Value {
    match r {
        Ok(()) => json!({"ok": true}),
        Err(e) => failed(e),
    }
}

/// The answer to a command that failed.
pub(super) fn failed(e: impl std::fmt::Display) -> Value {
    json!({"ok": false, "error": e.to_string()})
}

/// The answer to a request the host may refuse.
pub(super) fn refused(e: SessionError) -> Value {
    match e {
        SessionError::Broken(b) => failed(b),
        other => json!({"ok": false, "error": other.to_string(), "refused": true}),
    }
}

/// The command enum, its parser and its runner, over every feature module.
macro_rules! script_features {
    ($($variant:ident => $module:ident),* $(,)?) => {
        /// One line of input, understood.
        #[derive(Debug, PartialEq)]
        enum Command {
            $($variant(super::$module::Script),)*
            Quit,
        }

        fn parse_feature(word: &str, rest: &str) -> Option<Result<Command, String>> {
            $(if let Some(c) = super::$module::Script::parse(word, rest) {
                return Some(c.map(Command::$variant));
            })*
            None
        }

        async fn execute(session: &Session, command: Command) -> Value {
            match command {
                $(Command::$variant(c) => c.run(session).await,)*
                Command::Quit => json!({"ok": true}),
            }
        }

        /// Every word understood, for the usage message.
        fn words() -> Vec<&'static str> {
            let mut all = Vec::new();
            $(all.extend_from_slice(super::$module::WORDS);)*
            all.push("quit");
            all
        }
    };
}

script_features!(
    Pointer => pointer,
    Input => input,
    Clipboard => clipboard,
    ClipboardFiles => clipboard_files,
    Displays => displays,
    Desk => desk,
    Whiteboard => whiteboard,
);

fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    if word == "quit" {
        return Ok(Command::Quit);
    }
    parse_feature(word, rest)
        .unwrap_or_else(|| Err(format!("unknown command '{word}' ({})", words().join(", "))))
}

/// Read commands until `quit` or the end of input.
pub async fn run(session: &Session) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
    // Standard input blocks: read it on a thread of its own.
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        if line.trim().is_empty() {
            continue;
        }
        let reply = match parse(&line) {
            Ok(Command::Quit) => {
                println!("{}", json!({"ok": true}));
                break;
            }
            Ok(command) => execute(session, command).await,
            Err(e) => json!({"ok": false, "error": e, "usage": true}),
        };
        println!("{reply}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_media::MouseButton;

    #[test]
    fn commands_parse() {
        use super::super::{displays, input, pointer};
        assert_eq!(
            parse("move 10 -5"),
            Ok(Command::Pointer(pointer::Script::Move(10, -5)))
        );
        assert_eq!(
            parse("click"),
            Ok(Command::Input(input::Script::Click(MouseButton::Left)))
        );
        assert_eq!(
            parse("click right"),
            Ok(Command::Input(input::Script::Click(MouseButton::Right)))
        );
        assert_eq!(
            parse("type hello world"),
            Ok(Command::Input(input::Script::Type("hello world".into())))
        );
        assert_eq!(
            parse("key ShiftLeft down"),
            Ok(Command::Input(input::Script::Key("ShiftLeft".into(), true)))
        );
        assert_eq!(
            parse("display 7"),
            Ok(Command::Displays(displays::Script::Switch(7)))
        );
        assert_eq!(parse("quit\r"), Ok(Command::Quit));
        assert!(parse("move 1").is_err());
        assert!(parse("move a b").is_err());
        assert!(parse("key KeyA sideways").is_err());
        assert!(parse("click thumb").is_err());
        assert!(matches!(parse("dance"), Err(e) if e.contains("unknown command")));
    }
}
