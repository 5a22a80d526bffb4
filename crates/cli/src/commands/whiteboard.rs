//! The whiteboard in `connect --commands` (on `session.whiteboard()`):
//! `draw COLOR [arrow] X1,Y1 X2,Y2 ...` draws a stroke through the points
//! (on the streamed monitor; `arrow` puts an arrowhead at its end) and
//! `draw-clear` removes every stroke the session drew.

use latchkey_session::viewer::Session;
use serde_json::{json, Value};

use super::script::refused;

/// The words this feature answers to.
pub(super) const WORDS: &[&str] = &["draw", "draw-clear"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    Draw {
        color: String,
        points: Vec<(i32, i32)>,
        arrow: bool,
    },
    Clear,
}

/// `X,Y`.
fn point(text: &str) -> Result<(i32, i32), String> {
    let bad = || format!("'{text}' is not a point (X,Y)");
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    Ok((
        x.trim().parse().map_err(|_| bad())?,
        y.trim().parse().map_err(|_| bad())?,
    ))
}

fn draw(rest: &str) -> Result<Script, String> {
    let mut words = rest.split_whitespace().peekable();
    let color = words
        .next()
        .ok_or("draw takes COLOR [arrow] X1,Y1 X2,Y2 ...")?
        .to_string();
    let arrow = words.next_if_eq(&"arrow").is_some();
    let points = words.map(point).collect::<Result<Vec<_>, _>>()?;
    if points.len() < 2 {
        return Err("draw takes at least two points (X1,Y1 X2,Y2 ...)".into());
    }
    Ok(Script::Draw {
        color,
        points,
        arrow,
    })
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        match word {
            "draw" => Some(draw(rest)),
            "draw-clear" if rest.trim().is_empty() => Some(Ok(Script::Clear)),
            "draw-clear" => Some(Err("draw-clear takes nothing".into())),
            _ => None,
        }
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        let board = session.whiteboard();
        let strokes = match self {
            Script::Draw {
                color,
                points,
                arrow,
            } => board.draw(&color, points, arrow).await,
            Script::Clear => board.clear().await.map(|()| 0),
        };
        match strokes {
            Ok(n) => json!({"ok": true, "strokes": n}),
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
            Script::parse("draw", "red 100,100 300,100"),
            Some(Ok(Script::Draw {
                color: "red".into(),
                points: vec![(100, 100), (300, 100)],
                arrow: false
            }))
        );
        assert_eq!(
            Script::parse("draw", "#00ff00 arrow 1,2 3,4 5,6"),
            Some(Ok(Script::Draw {
                color: "#00ff00".into(),
                points: vec![(1, 2), (3, 4), (5, 6)],
                arrow: true
            }))
        );
        assert!(matches!(Script::parse("draw", "red 1,2"), Some(Err(_))));
        assert!(matches!(Script::parse("draw", "red 1,2 3"), Some(Err(_))));
        assert!(matches!(Script::parse("draw", ""), Some(Err(_))));
        assert_eq!(Script::parse("draw-clear", ""), Some(Ok(Script::Clear)));
        assert!(matches!(Script::parse("draw-clear", "now"), Some(Err(_))));
        assert_eq!(Script::parse("move", "1 2"), None);
    }
}
