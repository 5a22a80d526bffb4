//! Pointer motion, on an unordered channel without retransmissions: with
//! `control_input` it moves the host's pointer, with `show_pointer` alone it
//! is only shown to the person at the host.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The pointer feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "pointer",
    access: Access::AnyOf(&[Permission::ControlInput, Permission::ShowPointer]),
    channel: ChannelKind::Unordered,
    max_message: MAX_MESSAGE,
};

/// From the viewer: one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromViewer {
    /// Increasing per session; older ones arriving late are ignored.
    pub seq: u64,
    /// x on the streamed monitor, in its pixels (the host adds the monitor's origin).
    pub x: i32,
    /// y on the streamed monitor.
    pub y: i32,
}

/// The host does not answer on this channel.
pub type FromHost = super::NoMessage;

/// The colours viewers' pointers are shown in on the host (with
/// `show_pointer` alone), one per viewer, handed out in this order.
pub const SHOWN_COLORS: &[super::whiteboard::Rgb] = {
    use super::whiteboard::Rgb;
    &[
        Rgb(0xe9, 0x1e, 0x63),
        Rgb(0x00, 0x96, 0x88),
        Rgb(0xff, 0x57, 0x22),
        Rgb(0x3f, 0x51, 0xb5),
        Rgb(0x7c, 0xb3, 0x42),
        Rgb(0x79, 0x55, 0x48),
    ]
};

/// The index in [`SHOWN_COLORS`] for a new viewer: the first no other
/// shown pointer has (the least used one when all are taken).
pub fn pick_color(in_use: &[usize]) -> usize {
    (0..SHOWN_COLORS.len())
        .min_by_key(|i| in_use.iter().filter(|u| *u == i).count())
        .unwrap_or(0)
}

/// The shown pointer: an arrow with its tip at (0, 0), as a polygon.
pub const ARROW: &[(i32, i32)] = &[
    (0, 0),
    (0, 21),
    (5, 16),
    (9, 25),
    (13, 23),
    (9, 15),
    (16, 15),
];

/// The longest viewer name shown beside a pointer, in characters.
pub const MAX_SHOWN_NAME: usize = 32;

/// The name shown beside a pointer: printable ASCII (the overlay's core
/// font has no more), at most [`MAX_SHOWN_NAME`] characters.
pub fn shown_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(MAX_SHOWN_NAME)
        .collect::<String>()
        .trim()
        .to_string()
}
