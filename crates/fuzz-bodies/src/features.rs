//! Messages on the feature data channels, read as the side that receives
//! them reads them (the host: what a viewer sends; the viewer: what a host
//! sends), and the values inside them the receiver reads again (file paths,
//! a system report's pieces); binary data frames re-encode to themselves.

use serde::de::DeserializeOwned;
use serde::Serialize;

use latchkey_core::feature::files::{self, HostPath};
use latchkey_core::feature::system_info::{self, Assembly};
use latchkey_core::feature::{
    self, clipboard, clipboard_files, desk, displays, pointer, print, restart, tunnel, whiteboard,
    FeatureSpec, WireError,
};
use latchkey_session::features::{displays::FromHost as DisplaysFromHost, input::Message};

use crate::assert_round_trip;

/// The first byte picks the channel and direction, the rest is the message.
pub fn feature_message(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    match which % 25 {
        0 => json::<Message>(&feature::input::SPEC, bytes),
        1 => json::<feature::input::FromHost>(&feature::input::SPEC, bytes),
        2 => json::<pointer::FromViewer>(&pointer::SPEC, bytes),
        3 => json::<clipboard::FromViewer>(&clipboard::SPEC, bytes),
        4 => json::<clipboard::FromHost>(&clipboard::SPEC, bytes),
        5 => json::<displays::FromViewer>(&displays::SPEC, bytes),
        6 => json::<DisplaysFromHost>(&displays::SPEC, bytes),
        7 => json::<system_info::FromViewer>(&system_info::SPEC, bytes),
        8 => system_report(bytes),
        9 => files_from_viewer(bytes),
        10 => files_from_host(bytes),
        11 => tunnel_from_viewer(bytes),
        12 => tunnel_from_host(bytes),
        13 => host_path(bytes),
        14 => json::<clipboard_files::FromViewer>(&clipboard_files::SPEC, bytes),
        15 => json::<clipboard_files::FromHost>(&clipboard_files::SPEC, bytes),
        16 => json::<desk::FromViewer>(&desk::BLOCK_INPUT, bytes),
        17 => json::<desk::FromHost>(&desk::PRIVACY_MODE, bytes),
        18 => json::<restart::FromViewer>(&restart::SPEC, bytes),
        19 => json::<restart::FromHost>(&restart::SPEC, bytes),
        20 => json::<print::FromViewer>(&print::SPEC, bytes),
        21 => print_from_host(bytes),
        22 => print_job_header(bytes),
        23 => whiteboard_stroke(bytes),
        _ => json::<whiteboard::FromHost>(&whiteboard::SPEC, bytes),
    }
}

/// A whiteboard message as the host reads it, its stroke checked and added
/// to a board as the host does: what is taken is within the limits.
fn whiteboard_stroke(bytes: &[u8]) {
    let Some(whiteboard::FromViewer::Stroke {
        color,
        points,
        arrow,
    }) = read_json::<whiteboard::FromViewer>(&whiteboard::SPEC, bytes)
    else {
        return;
    };
    let Ok(stroke) = whiteboard::Stroke::new(&color, points, arrow) else {
        return;
    };
    assert!((2..=whiteboard::MAX_STROKE_POINTS).contains(&stroke.points.len()));
    let on = |v: i32| (0..=whiteboard::MAX_COORD).contains(&v);
    assert!(stroke.points.iter().all(|(x, y)| on(*x) && on(*y)));
    let _ = stroke.arrow_head();
    let mut board = whiteboard::Board::default();
    if board.add(stroke).is_ok() {
        assert_eq!(board.strokes().len(), 1);
    }
}

/// What a host sends on `print`: size first; a data frame is exactly its
/// job number and bytes; JSON round-trips.
fn print_from_host(bytes: &[u8]) {
    let m = print::decode_from_host(bytes);
    if bytes.len() > print::SPEC.max_message {
        assert!(m.is_err(), "{m:?}");
        return;
    }
    match m {
        Ok(print::HostMessage::Data { job, bytes: data }) => {
            assert_eq!(print::data_frame(job, data), bytes);
        }
        Ok(print::HostMessage::Message(m)) => {
            let wire = serde_json::to_vec(&m).expect("a message serializes");
            assert_round_trip(&m, &wire, crate::from_json::<print::FromHost>);
        }
        Err(_) => {}
    }
}

/// The line the CUPS backend sends the host's print socket: bounded, only
/// our queues, and what was read encodes to a line that reads the same.
fn print_job_header(bytes: &[u8]) {
    let Ok(header) = print::JobHeader::parse(bytes) else {
        return;
    };
    assert!(bytes.len() <= print::MAX_HEADER);
    assert!(header.size <= print::MAX_JOB);
    assert!(print::is_our_queue(&header.queue));
    assert_eq!(print::JobHeader::parse(&header.encode()), Ok(header));
}

/// Size first, then the typed form; what was read round-trips.
fn json<T>(spec: &FeatureSpec, bytes: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    read_json::<T>(spec, bytes);
}

/// [`json`], giving what was read.
fn read_json<T>(spec: &FeatureSpec, bytes: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let read = feature::parse::<T>(spec, bytes);
    if bytes.len() > spec.max_message {
        assert!(matches!(read, Err(WireError::TooLarge { .. })));
    }
    let m = read.ok()?;
    let wire = serde_json::to_vec(&m).expect("a message serializes");
    // Re-encoded, it may grow (escapes): read it without the size limit.
    assert_round_trip(&m, &wire, crate::from_json::<T>);
    Some(m)
}

/// The host's system report in pieces: each piece a `report` message (the
/// input's records), assembled and read as the viewer does.
fn system_report(bytes: &[u8]) {
    let mut report = Assembly::default();
    for piece in crate::records(bytes) {
        match read_json::<system_info::FromHost>(&system_info::SPEC, piece) {
            Some(system_info::FromHost::Report { text, more, .. }) => {
                if report.push(&text).is_err() {
                    return;
                }
                if !more {
                    break;
                }
            }
            Some(_) => return,
            None => continue,
        }
    }
    if let Ok(info) = report.finish() {
        // Cut into pieces again, it reassembles (not compared: it holds
        // floats, which JSON need not carry exactly).
        if let Ok(pieces) = system_info::report_pieces(&info) {
            let mut again = Assembly::default();
            for p in &pieces {
                again.push(p).expect("our own pieces fit");
            }
            assert!(again.finish().is_ok());
        }
    }
}

fn files_from_viewer(bytes: &[u8]) {
    let Some(m) = framed(&files::SPEC, bytes, files::from_viewer, |m| match m {
        files::FromViewer::Data { id, offset, data } => {
            Some(files::data_frame(*id, *offset, &data.0))
        }
        _ => None,
    }) else {
        return;
    };
    // Every path inside it is read again by the host.
    let wire = serde_json::to_value(&m).expect("value");
    strings(&wire, &mut |s| host_path(s.as_bytes()));
}

fn files_from_host(bytes: &[u8]) {
    framed(&files::SPEC, bytes, files::from_host, |m| match m {
        files::FromHost::Data { id, offset, data } => {
            Some(files::data_frame(*id, *offset, &data.0))
        }
        _ => None,
    });
}

fn tunnel_from_viewer(bytes: &[u8]) {
    framed(&tunnel::SPEC, bytes, tunnel::from_viewer, |m| match m {
        tunnel::FromViewer::Data { stream, data } => Some(tunnel::data_frame(*stream, &data.0)),
        _ => None,
    });
}

fn tunnel_from_host(bytes: &[u8]) {
    framed(&tunnel::SPEC, bytes, tunnel::from_host, |m| match m {
        tunnel::FromHost::Data { stream, data } => Some(tunnel::data_frame(*stream, &data.0)),
        _ => None,
    });
}

/// Every string inside a JSON value.
fn strings(value: &serde_json::Value, f: &mut impl FnMut(&str)) {
    match value {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, f)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, f)),
        _ => {}
    }
}

/// A path the viewer names on the host: never `..`, never a control
/// character; its wire form reads as itself.
fn host_path(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let Ok(path) = HostPath::parse(&text) else {
        return;
    };
    for part in &path.parts {
        assert!(
            !part.is_empty() && part != "." && part != ".." && !part.contains('/'),
            "{part:?} in {text:?}"
        );
        assert!(!part.chars().any(char::is_control));
    }
    assert_eq!(HostPath::parse(&path.to_wire()).as_ref(), Ok(&path));
}

/// A message of a feature with binary data frames (`files`, `tcp_tunnel`),
/// read by `read`: size first; a data frame is exactly what `frame`
/// encodes of what was read; JSON round-trips.
fn framed<T>(
    spec: &FeatureSpec,
    bytes: &[u8],
    read: fn(&[u8]) -> Result<T, WireError>,
    frame: fn(&T) -> Option<Vec<u8>>,
) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let m = read(bytes);
    if bytes.len() > spec.max_message {
        assert!(matches!(m, Err(WireError::TooLarge { .. })), "{m:?}");
        return None;
    }
    let m = m.ok()?;
    if bytes.first() == Some(&feature::frame::FRAME_DATA) {
        assert_eq!(
            frame(&m).as_deref(),
            Some(bytes),
            "a data frame is its head and bytes"
        );
    } else {
        let wire = serde_json::to_vec(&m).expect("a message serializes");
        assert_round_trip(&m, &wire, crate::from_json::<T>);
    }
    Some(m)
}
