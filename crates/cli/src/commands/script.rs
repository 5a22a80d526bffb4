//! `connect --commands`: an open session driven line by line from standard
//! input, for scripts and tests. Each command is answered with one line of
//! JSON on standard output (`{"ok":true,...}` or `{"ok":false,"error":...}`);
//! `quit` or the end of input closes the session.

use latchkey_media::{InputEvent, MouseButton};
use latchkey_session::viewer::{Session, SessionError};
use serde_json::{json, Value};

/// One line of input, understood.
#[derive(Debug, PartialEq)]
enum Command {
    Move(i32, i32),
    Click(MouseButton),
    Type(String),
    Key(String, bool),
    ClipboardSet(String),
    ClipboardGet,
    Displays,
    Display(u32),
    Sync,
    Quit,
}

fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let number = |s: &str| {
        s.trim()
            .parse::<i32>()
            .map_err(|_| format!("'{s}' is not a whole number"))
    };
    match word {
        "move" => {
            let (x, y) = rest
                .split_once(' ')
                .ok_or_else(|| "move takes X Y".to_string())?;
            Ok(Command::Move(number(x)?, number(y)?))
        }
        "click" => match rest.trim() {
            "" | "left" => Ok(Command::Click(MouseButton::Left)),
            "middle" => Ok(Command::Click(MouseButton::Middle)),
            "right" => Ok(Command::Click(MouseButton::Right)),
            other => Err(format!("'{other}' is not a button (left, middle, right)")),
        },
        "type" => Ok(Command::Type(rest.to_string())),
        "key" => match rest.split_once(' ') {
            Some((code, "down")) => Ok(Command::Key(code.to_string(), true)),
            Some((code, "up")) => Ok(Command::Key(code.to_string(), false)),
            _ => Err("key takes CODE down|up".into()),
        },
        "clipboard-set" => Ok(Command::ClipboardSet(rest.to_string())),
        "clipboard-get" => Ok(Command::ClipboardGet),
        "displays" => Ok(Command::Displays),
        "display" => rest
            .trim()
            .parse()
            .map(Command::Display)
            .map_err(|_| format!("'{rest}' is not a display id")),
        "sync" => Ok(Command::Sync),
        "quit" => Ok(Command::Quit),
        other => Err(format!(
            "unknown command '{other}' (move, click, type, key, clipboard-set, clipboard-get, displays, display, sync, quit)"
        )),
    }
}

fn failed(e: impl std::fmt::Display) -> Value {
    json!({"ok": false, "error": e.to_string()})
}

async fn execute(session: &mut Session, command: Command) -> Value {
    let done = |r: Result<(), latchkey_session::Error>| match r {
        Ok(()) => json!({"ok": true}),
        Err(e) => failed(e),
    };
    let refused = |e: SessionError| match e {
        SessionError::Broken(b) => failed(b),
        other => json!({"ok": false, "error": other.to_string(), "refused": true}),
    };
    match command {
        Command::Move(x, y) => done(session.move_pointer(x, y).await),
        Command::Click(button) => {
            let down = session.send_input(InputEvent::ButtonDown { button }).await;
            match down {
                Ok(()) => done(session.send_input(InputEvent::ButtonUp { button }).await),
                Err(e) => failed(e),
            }
        }
        Command::Type(text) => done(session.send_input(InputEvent::Text { text }).await),
        Command::Key(code, true) => done(session.send_input(InputEvent::KeyDown { code }).await),
        Command::Key(code, false) => done(session.send_input(InputEvent::KeyUp { code }).await),
        Command::ClipboardSet(text) => match session.clipboard_set(&text).await {
            Ok(()) => json!({"ok": true}),
            Err(e) => refused(e),
        },
        Command::ClipboardGet => match session.clipboard_get().await {
            Ok(text) => json!({"ok": true, "text": text}),
            Err(e) => refused(e),
        },
        Command::Displays => match session.displays().await {
            Ok((displays, current)) => {
                json!({"ok": true, "displays": displays, "current": current})
            }
            Err(e) => failed(e),
        },
        Command::Display(id) => match session.switch_display(id).await {
            Ok(d) => json!({"ok": true, "display": d}),
            Err(e) => failed(e),
        },
        Command::Sync => done(session.sync().await),
        Command::Quit => json!({"ok": true}),
    }
}

/// Read commands until `quit` or the end of input.
pub async fn run(session: &mut Session) {
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

    #[test]
    fn commands_parse() {
        assert_eq!(parse("move 10 -5"), Ok(Command::Move(10, -5)));
        assert_eq!(parse("click"), Ok(Command::Click(MouseButton::Left)));
        assert_eq!(parse("click right"), Ok(Command::Click(MouseButton::Right)));
        assert_eq!(
            parse("type hello world"),
            Ok(Command::Type("hello world".into()))
        );
        assert_eq!(
            parse("key ShiftLeft down"),
            Ok(Command::Key("ShiftLeft".into(), true))
        );
        assert_eq!(parse("display 7"), Ok(Command::Display(7)));
        assert_eq!(parse("quit\r"), Ok(Command::Quit));
        assert!(parse("move 1").is_err());
        assert!(parse("move a b").is_err());
        assert!(parse("key KeyA sideways").is_err());
        assert!(parse("click thumb").is_err());
        assert!(matches!(parse("dance"), Err(e) if e.contains("unknown command")));
    }
}
