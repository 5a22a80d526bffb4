//! The X11 CLIPBOARD selection in formats of our choosing, over x11rb:
//! [`SelectionOffer`] owns it and serves the named targets (and `TARGETS`)
//! to every program that pastes, until another program takes the selection
//! or the offer is dropped; [`read_selection`] asks the owner for one target.
//! `arboard` serves text and images but neither lets us name the targets a
//! file list needs (`text/uri-list` *and* `x-special/gnome-copied-files`),
//! hence this. Both talk to the display named by `DISPLAY`.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, PropMode, SelectionNotifyEvent,
    Window, WindowClass, SELECTION_NOTIFY_EVENT,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::{CURRENT_TIME, NONE};

use crate::error::{Error, Result};

/// How long a paste may take the selection's owner to answer.
const READ_LIMIT: Duration = Duration::from_secs(3);

fn x_err(e: impl std::fmt::Display) -> Error {
    Error::Clipboard(format!("X11: {e}"))
}

fn atom(conn: &RustConnection, name: &str) -> Result<Atom> {
    Ok(conn
        .intern_atom(false, name.as_bytes())
        .map_err(x_err)?
        .reply()
        .map_err(x_err)?
        .atom)
}

/// A fresh connection and an unmapped window of ours on it.
fn connect(events: EventMask) -> Result<(RustConnection, Window)> {
    let (conn, screen) = x11rb::connect(None).map_err(x_err)?;
    let root = conn.setup().roots[screen].root;
    let window = conn.generate_id().map_err(x_err)?;
    conn.create_window(
        0,
        window,
        root,
        0,
        0,
        1,
        1,
        0,
        WindowClass::INPUT_ONLY,
        0,
        &CreateWindowAux::new().event_mask(events),
    )
    .map_err(x_err)?;
    Ok((conn, window))
}

/// The CLIPBOARD selection, owned and served with these targets.
pub struct SelectionOffer {
    conn: Arc<RustConnection>,
    window: Window,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SelectionOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectionOffer").finish_non_exhaustive()
    }
}

impl SelectionOffer {
    /// Take the clipboard and serve `targets` (name, bytes) from a thread.
    pub fn start(targets: Vec<(String, Vec<u8>)>) -> Result<SelectionOffer> {
        let (conn, window) = connect(EventMask::STRUCTURE_NOTIFY)?;
        let clipboard = atom(&conn, "CLIPBOARD")?;
        let targets_atom = atom(&conn, "TARGETS")?;
        let mut served = Vec::with_capacity(targets.len());
        for (name, bytes) in targets {
            served.push((atom(&conn, &name)?, bytes));
        }
        // Larger answers would need the INCR protocol: refuse them here.
        let room = conn.maximum_request_bytes().saturating_sub(64);
        if served.iter().any(|(_, b)| b.len() > room) {
            return Err(Error::Clipboard(format!(
                "a clipboard value over {room} bytes"
            )));
        }
        conn.set_selection_owner(window, clipboard, CURRENT_TIME)
            .map_err(x_err)?;
        let owner = conn
            .get_selection_owner(clipboard)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?
            .owner;
        if owner != window {
            return Err(Error::Clipboard("could not take the clipboard".into()));
        }
        let conn = Arc::new(conn);
        let serving = conn.clone();
        let thread = std::thread::Builder::new()
            .name("latchkey-selection".into())
            .spawn(move || {
                if let Err(e) = serve(&serving, window, targets_atom, &served) {
                    tracing::warn!(error = %e, "the clipboard offer stopped");
                }
            })
            .map_err(|e| Error::Clipboard(format!("cannot start a thread: {e}")))?;
        Ok(SelectionOffer {
            conn,
            window,
            thread: Some(thread),
        })
    }
}

/// Answer paste requests until the selection is taken or the window destroyed.
fn serve(
    conn: &RustConnection,
    window: Window,
    targets_atom: Atom,
    served: &[(Atom, Vec<u8>)],
) -> Result<()> {
    loop {
        match conn.wait_for_event().map_err(x_err)? {
            Event::SelectionRequest(req) => {
                let property = if req.property == NONE {
                    req.target
                } else {
                    req.property
                };
                let answered = if req.target == targets_atom {
                    let mut list = vec![targets_atom];
                    list.extend(served.iter().map(|(a, _)| *a));
                    conn.change_property32(
                        PropMode::REPLACE,
                        req.requestor,
                        property,
                        AtomEnum::ATOM,
                        &list,
                    )
                    .map_err(x_err)?;
                    true
                } else if let Some((a, bytes)) = served.iter().find(|(a, _)| *a == req.target) {
                    conn.change_property8(PropMode::REPLACE, req.requestor, property, *a, bytes)
                        .map_err(x_err)?;
                    true
                } else {
                    false
                };
                let notify = SelectionNotifyEvent {
                    response_type: SELECTION_NOTIFY_EVENT,
                    sequence: 0,
                    time: req.time,
                    requestor: req.requestor,
                    selection: req.selection,
                    target: req.target,
                    property: if answered { property } else { NONE },
                };
                conn.send_event(false, req.requestor, EventMask::NO_EVENT, notify)
                    .map_err(x_err)?;
                conn.flush().map_err(x_err)?;
            }
            Event::SelectionClear(_) => return Ok(()),
            Event::DestroyNotify(e) if e.window == window => return Ok(()),
            _ => {}
        }
    }
}

impl Drop for SelectionOffer {
    fn drop(&mut self) {
        // The serving thread sees its window go and ends.
        let _ = self.conn.destroy_window(self.window);
        let _ = self.conn.flush();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The CLIPBOARD selection in the first of `targets` its owner lists in
/// `TARGETS` (`None`: no owner, or none of them offered), with that target.
/// Asking `TARGETS` first matters: some owners (xclip) answer any target
/// with what they hold.
pub fn read_selection(targets: &[&str]) -> Result<Option<(String, Vec<u8>)>> {
    let (conn, window) = connect(EventMask::NO_EVENT)?;
    let clipboard = atom(&conn, "CLIPBOARD")?;
    let property = atom(&conn, "LATCHKEY_SELECTION")?;
    let incr = atom(&conn, "INCR")?;
    let convert = |target: Atom| -> Result<Option<(Atom, Vec<u8>)>> {
        conn.convert_selection(window, clipboard, target, property, CURRENT_TIME)
            .map_err(x_err)?;
        conn.flush().map_err(x_err)?;
        let deadline = Instant::now() + READ_LIMIT;
        let notified = loop {
            match conn.poll_for_event().map_err(x_err)? {
                Some(Event::SelectionNotify(e)) if e.requestor == window => break e,
                Some(_) => {}
                None if Instant::now() >= deadline => {
                    return Err(Error::Clipboard(
                        "the clipboard's owner did not answer".into(),
                    ))
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        if notified.property == NONE {
            return Ok(None);
        }
        let reply = conn
            .get_property(true, window, property, AtomEnum::ANY, 0, u32::MAX / 4)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        if reply.type_ == incr {
            return Err(Error::Clipboard(
                "the clipboard's value is too large (sent in increments)".into(),
            ));
        }
        Ok(Some((reply.type_, reply.value)))
    };
    let Some((_, listed)) = convert(atom(&conn, "TARGETS")?)? else {
        return Ok(None);
    };
    let offered: Vec<Atom> = listed
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    for name in targets {
        let wanted = atom(&conn, name)?;
        if offered.contains(&wanted) {
            return Ok(convert(wanted)?.map(|(_, bytes)| (name.to_string(), bytes)));
        }
    }
    Ok(None)
}
