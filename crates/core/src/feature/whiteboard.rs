//! The whiteboard: the viewer draws on the host's screen (pen strokes in a
//! colour, arrows) and clears it; the host shows the drawing on top of
//! everything until the viewer clears it or the session ends. Here: the
//! wire messages and what the host accepts (colours from a fixed set or
//! `#rrggbb`, bounded point counts and coordinates, a bounded board), and
//! the arrowhead's geometry. Pure: the host's overlay draws what this says.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The whiteboard feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "whiteboard",
    access: Access::Needs(Permission::Whiteboard),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Most points in one stroke.
pub const MAX_STROKE_POINTS: usize = 512;
/// Most points on one session's board, all strokes together.
pub const MAX_BOARD_POINTS: usize = 16 * 1024;
/// Coordinates are within `0..=MAX_COORD` (X11's limit is 32767; no screen is this big).
pub const MAX_COORD: i32 = 16 * 1024;
/// The pen's width, in pixels.
pub const PEN_WIDTH: u16 = 4;

/// The colours known by name (anything else is `#rrggbb`).
pub const NAMED_COLORS: &[(&str, Rgb)] = &[
    ("red", Rgb(0xe5, 0x1c, 0x23)),
    ("orange", Rgb(0xff, 0x98, 0x00)),
    ("yellow", Rgb(0xff, 0xeb, 0x3b)),
    ("green", Rgb(0x2e, 0x7d, 0x32)),
    ("blue", Rgb(0x15, 0x65, 0xc0)),
    ("purple", Rgb(0x8e, 0x24, 0xaa)),
    ("black", Rgb(0, 0, 0)),
    ("white", Rgb(0xff, 0xff, 0xff)),
];

/// A colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// A name from [`NAMED_COLORS`] (any case) or `#rrggbb`.
    pub fn parse(text: &str) -> Result<Rgb, StrokeError> {
        let bad = || StrokeError::Color(text.chars().take(32).collect());
        if let Some((_, c)) = NAMED_COLORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(text))
        {
            return Ok(*c);
        }
        let hex = text
            .strip_prefix('#')
            .filter(|h| h.len() == 6)
            .ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        Ok(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }
}

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// One pen stroke through `points` (on the streamed monitor, in its
    /// pixels), with an arrowhead at its end when `arrow`. Answered with
    /// `Drawn`, `Invalid`, `Failed` or `Refused`.
    Stroke {
        /// A name from [`NAMED_COLORS`] or `#rrggbb`.
        color: String,
        /// At least two.
        points: Vec<(i32, i32)>,
        /// An arrowhead at the last point.
        #[serde(default)]
        arrow: bool,
    },
    /// Remove every stroke of this session (answered with `Cleared`).
    /// (A struct variant: a unit one would let unknown fields through.)
    Clear {},
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// The stroke is on the host's screen; the board holds this many.
    Drawn {
        /// Strokes on the board.
        strokes: usize,
    },
    /// The board is empty.
    Cleared,
    /// The stroke was not taken (why).
    Invalid {
        /// Why.
        reason: String,
    },
    /// The host could not show it (no X server, no SHAPE extension, ...).
    Failed {
        /// Why.
        reason: String,
    },
    /// The session's permissions do not allow it.
    Refused {
        /// What was refused (the feature's name).
        what: String,
        /// The permission it needs.
        permission: String,
    },
}

/// Why a stroke was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrokeError {
    /// Not a known colour name nor `#rrggbb`.
    #[error("'{0}' is no colour (a name such as red, or #rrggbb)")]
    Color(String),
    /// Fewer than two points.
    #[error("a stroke needs at least two points")]
    TooFewPoints,
    /// More than [`MAX_STROKE_POINTS`].
    #[error("a stroke of {0} points is over the {MAX_STROKE_POINTS}-point limit")]
    TooManyPoints(usize),
    /// A coordinate outside `0..=MAX_COORD`.
    #[error("the point {0},{1} is off the screen")]
    OffScreen(i32, i32),
    /// The board would hold more than [`MAX_BOARD_POINTS`].
    #[error("the board is full (clear it first)")]
    BoardFull,
}

/// A stroke the host accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stroke {
    /// Its colour.
    pub color: Rgb,
    /// Its points (two or more, on the screen).
    pub points: Vec<(i32, i32)>,
    /// An arrowhead at the last point.
    pub arrow: bool,
}

impl Stroke {
    /// Check a stroke as the viewer sent it.
    pub fn new(color: &str, points: Vec<(i32, i32)>, arrow: bool) -> Result<Stroke, StrokeError> {
        let color = Rgb::parse(color)?;
        if points.len() < 2 {
            return Err(StrokeError::TooFewPoints);
        }
        if points.len() > MAX_STROKE_POINTS {
            return Err(StrokeError::TooManyPoints(points.len()));
        }
        let on = |v: i32| (0..=MAX_COORD).contains(&v);
        if let Some(&(x, y)) = points.iter().find(|(x, y)| !on(*x) || !on(*y)) {
            return Err(StrokeError::OffScreen(x, y));
        }
        Ok(Stroke {
            color,
            points,
            arrow,
        })
    }

    /// The filled triangle of its arrowhead, if it has one (pointing along
    /// the last segment that has a length).
    pub fn arrow_head(&self) -> Option<[(i32, i32); 3]> {
        if !self.arrow {
            return None;
        }
        let tip = *self.points.last()?;
        let from = self.points.iter().rev().find(|p| **p != tip)?;
        Some(arrow_head(*from, tip, 6 * i32::from(PEN_WIDTH)))
    }
}

/// A triangle with its tip at `tip`, `size` long, pointing away from `from`.
pub fn arrow_head(from: (i32, i32), tip: (i32, i32), size: i32) -> [(i32, i32); 3] {
    let (dx, dy) = (f64::from(tip.0 - from.0), f64::from(tip.1 - from.1));
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let size = f64::from(size);
    let (bx, by) = (f64::from(tip.0) - ux * size, f64::from(tip.1) - uy * size);
    let half = size / 2.0;
    let at = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
    [
        tip,
        at(bx - uy * half, by + ux * half),
        at(bx + uy * half, by - ux * half),
    ]
}

/// One session's drawing, within its limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Board {
    strokes: Vec<Stroke>,
    points: usize,
}

impl Board {
    /// Add a stroke, unless the board would be over [`MAX_BOARD_POINTS`].
    pub fn add(&mut self, stroke: Stroke) -> Result<(), StrokeError> {
        let points = self.points + stroke.points.len();
        if points > MAX_BOARD_POINTS {
            return Err(StrokeError::BoardFull);
        }
        self.points = points;
        self.strokes.push(stroke);
        Ok(())
    }

    /// Remove every stroke.
    pub fn clear(&mut self) {
        *self = Board::default();
    }

    /// The strokes, oldest first.
    pub fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }
}
