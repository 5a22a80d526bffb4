//! X11 keyboard-map access for text entry: find the keycode that types a
//! character, or temporarily bind a spare keycode to it.
//!
//! X11 can only type a character through a keycode whose keysyms include it.
//! For characters the current layout lacks (e.g. `€` on a US map), this module
//! binds the character's keysym to a keycode that has no keysyms at all (Xvfb
//! and real servers leave dozens free), exactly as `xdotool type` does. Spare
//! keycodes are reused round-robin and bound back to nothing by [`Keymap::restore`].
//! Limits: the server needs at least one unused keycode; a client that reads
//! its key events late may see a spare keycode already rebound (only after
//! more distinct unmapped characters than there are spare keycodes).

use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt;
use x11rb::rust_connection::RustConnection;

use crate::error::{Error, Result};

fn x_err(e: impl std::fmt::Display) -> Error {
    Error::Inject(format!("X11 keymap: {e}"))
}

/// The X keysym that types `ch`, if it has one.
pub(crate) fn keysym_for(ch: char) -> Option<u32> {
    let cp = u32::from(ch);
    match ch {
        '\n' | '\r' => Some(0xff0d), // Return
        '\t' => Some(0xff09),        // Tab
        '\u{8}' => Some(0xff08),     // BackSpace
        _ if ch.is_control() => None,
        _ if (0x20..=0x7e).contains(&cp) || (0xa0..=0xff).contains(&cp) => Some(cp),
        _ => Some(0x0100_0000 | cp), // Unicode keysym
    }
}

/// A connection to the X server with a copy of its keyboard map.
pub(crate) struct Keymap {
    conn: RustConnection,
    min_keycode: u8,
    per_keycode: u8,
    /// Keysyms of every keycode from `min_keycode`, `per_keycode` at a time.
    syms: Vec<u32>,
    /// Keycodes that had no keysym when we looked: free to bind.
    spare: Vec<u8>,
    /// Next spare keycode to use (round-robin).
    next_spare: usize,
    /// Spare keycodes we bound, and to which keysym; undone by `restore`.
    bound: Vec<(u8, u32)>,
}

impl Keymap {
    /// Connects to the process's `DISPLAY` and reads the keyboard map.
    pub fn open() -> Result<Self> {
        let (conn, _) = x11rb::connect(None).map_err(x_err)?;
        let setup = conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let count = max.saturating_sub(min).saturating_add(1);
        let reply = conn
            .get_keyboard_mapping(min, count)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        let per = reply.keysyms_per_keycode;
        let syms = reply.keysyms;
        let spare = (0..count)
            .filter(|&i| {
                let base = usize::from(i) * usize::from(per);
                syms.get(base..base + usize::from(per))
                    .is_some_and(|s| s.iter().all(|&k| k == 0))
            })
            .map(|i| min + i)
            .rev() // highest first: least likely to be a real key on any layout
            .collect();
        Ok(Self {
            conn,
            min_keycode: min,
            per_keycode: per,
            syms,
            spare,
            next_spare: 0,
            bound: Vec::new(),
        })
    }

    /// The keycode that types `ch` and whether Shift must be held for it.
    pub fn lookup(&mut self, ch: char) -> Result<(u8, bool)> {
        let keysym = keysym_for(ch).ok_or(Error::CannotType(ch))?;
        if let Some(&(kc, _)) = self.bound.iter().find(|(_, k)| *k == keysym) {
            return Ok((kc, false));
        }
        let per = usize::from(self.per_keycode.max(1));
        for (i, group) in self.syms.chunks(per).enumerate() {
            let kc = self.min_keycode.saturating_add(i as u8);
            if self.bound.iter().any(|(b, _)| *b == kc) {
                continue;
            }
            if group.first() == Some(&keysym) {
                return Ok((kc, false));
            }
            if group.get(1) == Some(&keysym) {
                return Ok((kc, true));
            }
        }
        self.bind(keysym)
            .map(|kc| (kc, false))
            .map_err(|e| match e {
                Error::CannotType(_) => Error::CannotType(ch),
                other => other,
            })
    }

    fn bind(&mut self, keysym: u32) -> Result<u8> {
        if self.spare.is_empty() {
            return Err(Error::CannotType('\0'));
        }
        let kc = self.spare[self.next_spare % self.spare.len()];
        self.next_spare = self.next_spare.wrapping_add(1);
        let mut syms = vec![0u32; usize::from(self.per_keycode.max(2))];
        syms[0] = keysym;
        syms[1] = keysym; // same with Shift held
        self.set_mapping(kc, &syms)?;
        self.bound.retain(|(b, _)| *b != kc);
        self.bound.push((kc, keysym));
        Ok(kc)
    }

    fn set_mapping(&mut self, kc: u8, syms: &[u32]) -> Result<()> {
        // The X error of a refused mapping names the keysym (a character a
        // viewer typed) as its bad value: only its kind goes into the message.
        let refused = |e: x11rb::errors::ReplyError| match e {
            x11rb::errors::ReplyError::X11Error(x) => Error::Inject(format!(
                "X11 keymap: the server refused a new mapping ({:?})",
                x.error_kind
            )),
            other => x_err(other),
        };
        let per = u8::try_from(syms.len()).map_err(x_err)?;
        self.conn
            .change_keyboard_mapping(1, kc, per, syms)
            .map_err(x_err)?
            .check()
            .map_err(refused)?;
        // A round trip: the server has applied the mapping (and queued
        // MappingNotify to every client) before any key event we send next.
        self.conn
            .get_input_focus()
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        Ok(())
    }

    /// Unbinds every spare keycode this keymap bound.
    pub fn restore(&mut self) -> Result<()> {
        let empty = vec![0u32; usize::from(self.per_keycode.max(1))];
        let bound = std::mem::take(&mut self.bound);
        let mut first_err = None;
        for (kc, _) in bound {
            if let Err(e) = self.set_mapping(kc, &empty) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}
