//! Input injection into a wlroots compositor: a virtual pointer
//! (`zwlr_virtual_pointer_manager_v1`, mapped onto one output) and a virtual
//! keyboard (`zwp_virtual_keyboard_manager_v1`, with this crate's own keymap,
//! see [`crate::keymap`]).
//!
//! A [`VirtualInput`] remembers which keys and buttons it holds and releases
//! them all in [`VirtualInput::release_all`] and when dropped, so a session that
//! ends mid-keypress leaves nothing stuck.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::fs::MemfdFlags;
use wayland_client::protocol::wl_pointer;
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1, zwp_virtual_keyboard_v1,
};
use wayland_protocols_wlr::virtual_pointer::v1::client::{
    zwlr_virtual_pointer_manager_v1, zwlr_virtual_pointer_v1,
};

use crate::display::{Display, OutputInfo, Target, DEFAULT_TIMEOUT};
use crate::error::{Error, Result};
use crate::keymap::Keymap;

/// Largest wheel movement per call and axis, in notches.
pub const MAX_WHEEL_NOTCHES: i32 = 50;

/// Largest text [`VirtualInput::type_text`] accepts at once, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Scroll distance of one wheel notch, in the units of `wl_pointer.axis` (what
/// libinput reports for a mouse wheel).
const NOTCH: f64 = 15.0;

/// `wl_keyboard.keymap_format.xkb_v1`.
const KEYMAP_XKB_V1: u32 = 1;

/// How many typed characters go out between round trips, so a long text neither
/// fills the socket nor runs far ahead of the compositor.
const CHARS_PER_SYNC: usize = 64;

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Button {
    /// Primary button (`BTN_LEFT`).
    Left,
    /// Wheel button (`BTN_MIDDLE`).
    Middle,
    /// Secondary button (`BTN_RIGHT`).
    Right,
}

impl Button {
    /// The Linux input event code.
    fn code(self) -> u32 {
        match self {
            Button::Left => 0x110,
            Button::Right => 0x111,
            Button::Middle => 0x112,
        }
    }
}

/// A virtual pointer and keyboard on the compositor's first seat.
pub struct VirtualInput {
    display: Display,
    pointer_manager: zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1,
    pointer: zwlr_virtual_pointer_v1::ZwlrVirtualPointerV1,
    keyboard: zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
    /// The output pointer coordinates are relative to.
    output: OutputInfo,
    keymap: Keymap,
    /// The memfd of the keymap last sent, kept until the compositor has read it.
    keymap_file: Option<File>,
    /// Keys pressed and not yet released (XKB keycodes).
    held_keys: BTreeSet<u32>,
    /// Buttons pressed and not yet released.
    held_buttons: BTreeSet<Button>,
    /// Modifier keys down at the compositor (held ones, and the Shift that text
    /// entry adds for a moment).
    modifiers_down: BTreeSet<u32>,
    /// Locked modifiers (Caps Lock, Num Lock toggled on).
    locked: u32,
    /// Event timestamps are milliseconds since this instant.
    epoch: Instant,
}

impl std::fmt::Debug for VirtualInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Held keys are what someone is typing: counts only.
        f.debug_struct("VirtualInput")
            .field("output", &self.output.name)
            .field("held_keys", &self.held_keys.len())
            .field("held_buttons", &self.held_buttons)
            .finish_non_exhaustive()
    }
}

impl VirtualInput {
    /// Connects to the display named by the environment; the pointer moves on
    /// output `output` (by name; `None` for the first).
    pub fn connect(output: Option<&str>) -> Result<Self> {
        Self::connect_to(&Target::Env, output)
    }

    /// Connects to `target`, checks for both protocols and creates the virtual
    /// pointer (on `output`) and keyboard (with its keymap).
    pub fn connect_to(target: &Target, output: Option<&str>) -> Result<Self> {
        let display = Display::connect(target, DEFAULT_TIMEOUT)?;
        // Version 2 maps the pointer onto one output.
        let pointer_manager = display
            .bind::<zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1, _>(
            2,
            2,
            (),
        )?;
        let keyboard_manager = display
            .bind::<zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1, _>(
            1,
            1,
            (),
        )?;
        let seat = display.seat()?;
        let (wl_output, info) = display.output(output)?;
        if info.width == 0 || info.height == 0 {
            return Err(Error::BadGeometry(format!(
                "output {} has no current mode",
                info.name
            )));
        }
        let pointer = pointer_manager.create_virtual_pointer_with_output(
            Some(&seat),
            Some(&wl_output),
            &display.qh,
            (),
        );
        let keyboard = keyboard_manager.create_virtual_keyboard(&seat, &display.qh, ());
        // zwp_virtual_keyboard_manager_v1 has no destructor: it goes with the connection.
        drop(keyboard_manager);
        let mut input = VirtualInput {
            display,
            pointer_manager,
            pointer,
            keyboard,
            output: info,
            keymap: Keymap::new(),
            keymap_file: None,
            held_keys: BTreeSet::new(),
            held_buttons: BTreeSet::new(),
            modifiers_down: BTreeSet::new(),
            locked: 0,
            epoch: Instant::now(),
        };
        input.send_keymap()?;
        // A compositor that refuses the keymap or the pointer says so here.
        input.display.roundtrip()?;
        tracing::debug!(output = %input.output.name, "virtual pointer and keyboard ready");
        Ok(input)
    }

    /// The output pointer coordinates refer to.
    pub fn output(&self) -> &OutputInfo {
        &self.output
    }

    /// How long round trips may wait for the compositor.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.display.timeout = timeout;
    }

    fn time(&self) -> u32 {
        // Wraps after 49 days, as the protocol's millisecond timestamps do.
        (self.epoch.elapsed().as_millis() & u128::from(u32::MAX)) as u32
    }

    fn send_keymap(&mut self) -> Result<()> {
        let mut text = self.keymap.to_text().into_bytes();
        text.push(0);
        let size = u32::try_from(text.len())
            .map_err(|_| Error::BadGeometry("keymap too large".to_string()))?;
        let fd = rustix::fs::memfd_create("latchkey-keymap", MemfdFlags::CLOEXEC)
            .map_err(|e| Error::io("creating a memfd for the keymap")(e.into()))?;
        let mut file = File::from(fd);
        file.write_all(&text)
            .map_err(Error::io("writing the keymap"))?;
        self.keyboard.keymap(KEYMAP_XKB_V1, file.as_fd(), size);
        self.keymap_file = Some(file);
        self.display.flush()
    }

    /// Moves the pointer to (`x`, `y`) in output pixels (the coordinates of a
    /// captured frame); positions outside the output are clamped to its edge.
    pub fn move_to(&mut self, x: u32, y: u32) -> Result<()> {
        // The output's latest mode (events since connecting may have changed it).
        if let Ok((_, info)) = self.display.output(Some(&self.output.name)) {
            if info.width > 0 && info.height > 0 {
                self.output = info;
            }
        }
        let (w, h) = (self.output.width, self.output.height);
        let time = self.time();
        self.pointer
            .motion_absolute(time, x.min(w - 1), y.min(h - 1), w, h);
        self.pointer.frame();
        self.display.flush()
    }

    /// Presses or releases `button`.
    pub fn button(&mut self, button: Button, pressed: bool) -> Result<()> {
        let state = if pressed {
            if !self.held_buttons.insert(button) {
                return Ok(());
            }
            wl_pointer::ButtonState::Pressed
        } else {
            if !self.held_buttons.remove(&button) {
                return Ok(());
            }
            wl_pointer::ButtonState::Released
        };
        let time = self.time();
        self.pointer.button(time, button.code(), state);
        self.pointer.frame();
        self.display.flush()
    }

    /// Presses and releases `button`.
    pub fn click(&mut self, button: Button) -> Result<()> {
        self.button(button, true)?;
        self.button(button, false)
    }

    /// Turns the wheel by whole notches: `dy > 0` scrolls down, `dx > 0` right
    /// (each clamped to ±[`MAX_WHEEL_NOTCHES`]).
    pub fn scroll(&mut self, dx: i32, dy: i32) -> Result<()> {
        let time = self.time();
        self.pointer.axis_source(wl_pointer::AxisSource::Wheel);
        for (axis, notches) in [
            (wl_pointer::Axis::VerticalScroll, dy),
            (wl_pointer::Axis::HorizontalScroll, dx),
        ] {
            let notches = notches.clamp(-MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES);
            if notches != 0 {
                self.pointer
                    .axis_discrete(time, axis, f64::from(notches) * NOTCH, notches);
            }
        }
        self.pointer.frame();
        self.display.flush()
    }

    /// Sends one key event, and the new modifier state when it is a modifier key:
    /// the compositor does not work modifiers out from a virtual keyboard's keys.
    fn send_key(&mut self, keycode: u32, pressed: bool) {
        let time = self.time();
        let state = u32::from(pressed);
        // The protocol carries evdev codes: XKB keycode minus 8.
        self.keyboard.key(time, keycode - 8, state);
        if let Some(modifier) = self.keymap.modifier(keycode) {
            if pressed {
                self.modifiers_down.insert(keycode);
                if modifier.locking {
                    self.locked ^= modifier.mask;
                }
            } else {
                self.modifiers_down.remove(&keycode);
            }
            self.send_modifiers();
        }
    }

    fn send_modifiers(&mut self) {
        let depressed = self
            .modifiers_down
            .iter()
            .filter_map(|&k| self.keymap.modifier(k))
            .filter(|m| !m.locking)
            .fold(0, |acc, m| acc | m.mask);
        self.keyboard.modifiers(depressed, 0, self.locked, 0);
    }

    /// Presses or releases the key `name` (an X keysym name: `a`, `Return`,
    /// `Shift_L`, `F5`; see [`crate::key_names`]). Letters name their key, so `A`
    /// and `a` are the same key; hold `Shift_L` for capitals.
    pub fn key(&mut self, name: &str, pressed: bool) -> Result<()> {
        let keycode = self.keymap.key(name).ok_or(Error::UnknownKey)?;
        if pressed {
            if !self.held_keys.insert(keycode) {
                return Ok(());
            }
        } else if !self.held_keys.remove(&keycode) {
            return Ok(());
        }
        self.send_key(keycode, pressed);
        self.display.flush()
    }

    /// Presses and releases the key `name`.
    pub fn tap(&mut self, name: &str) -> Result<()> {
        self.key(name, true)?;
        self.key(name, false)
    }

    /// Types `text` as characters, whatever the layout of the person at the
    /// desk: capitals with Shift, characters outside ASCII through spare keycodes
    /// (the keymap is re-sent when that set changes). `\n` types Return and `\t`
    /// Tab; other control characters, or more than [`MAX_TEXT_CHARS`], are refused
    /// before anything is typed. Keys held through [`VirtualInput::key`] still apply.
    pub fn type_text(&mut self, text: &str) -> Result<()> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() > MAX_TEXT_CHARS || !chars.iter().all(|&c| Keymap::typable(c)) {
            return Err(Error::UntypableText);
        }
        let shift_held = self.held_keys.iter().any(|&k| self.keymap.is_shift(k));
        for (i, &c) in chars.iter().enumerate() {
            let stroke = match self.keymap.stroke(c) {
                Some(s) => s,
                None => {
                    self.keymap.make_typable(chars[i..].iter().copied());
                    self.send_keymap()?;
                    self.keymap.stroke(c).ok_or(Error::UntypableText)?
                }
            };
            let add_shift = stroke.shift && !shift_held;
            let shift = self.keymap.shift();
            if add_shift {
                self.send_key(shift, true);
            }
            self.send_key(stroke.keycode, true);
            self.send_key(stroke.keycode, false);
            if add_shift {
                self.send_key(shift, false);
            }
            if (i + 1) % CHARS_PER_SYNC == 0 {
                self.display.roundtrip()?;
            }
        }
        self.display.flush()
    }

    /// Releases every key and button this input holds (and unlocks Caps Lock and
    /// Num Lock if it locked them), and waits until the compositor has handled it.
    pub fn release_all(&mut self) -> Result<()> {
        for keycode in std::mem::take(&mut self.held_keys) {
            self.send_key(keycode, false);
        }
        if self.locked != 0 {
            // Caps Lock or Num Lock left on by this session: turn them off.
            self.locked = 0;
            self.send_modifiers();
        }
        for button in std::mem::take(&mut self.held_buttons) {
            let time = self.time();
            self.pointer
                .button(time, button.code(), wl_pointer::ButtonState::Released);
            self.pointer.frame();
        }
        self.display.roundtrip()
    }

    /// Waits until the compositor has handled everything sent so far.
    pub fn sync(&mut self) -> Result<()> {
        self.display.roundtrip()
    }
}

impl Drop for VirtualInput {
    fn drop(&mut self) {
        if let Err(e) = self.release_all() {
            tracing::warn!(error = %e, "releasing held keys and buttons failed");
        }
        self.keyboard.destroy();
        self.pointer.destroy();
        self.pointer_manager.destroy();
        let _ = self.display.flush();
    }
}
