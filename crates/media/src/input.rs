//! Input injection: pointer, buttons, wheel, keys by physical code, and text.
//!
//! Events are injected with `rdev` (XTest on X11), into the X server named by
//! the process's `DISPLAY` (rdev opens it per event). Keys are named by their
//! physical position, using the DOM `KeyboardEvent.code` names a browser or the
//! viewer sends (`"KeyA"`, `"Enter"`, `"ShiftLeft"`; see [`key_codes`]), so the
//! host's layout decides which character a key makes. Text that the viewer
//! wants typed as characters goes through [`InputEvent::Text`]: each character
//! is typed with the keycode (plus Shift) that produces it on the host's map,
//! and characters that the map lacks are bound to a spare keycode first
//! (see `platform::linux` for the limits).
//!
//! An [`Injector`] remembers what it holds down and lets it all go on
//! [`Injector::release_all`] and when dropped, so a session that ends
//! mid-keypress leaves no key stuck.

use std::collections::BTreeSet;

use rdev::{Button, EventType, Key};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MouseButton {
    /// Primary button.
    Left,
    /// Wheel button.
    Middle,
    /// Secondary button.
    Right,
}

/// One input event as it travels from viewer to host (JSON:
/// `{"type":"pointer_move","x":10,"y":20}`, `{"type":"key_down","code":"KeyA"}`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputEvent {
    /// Move the pointer to absolute root-window coordinates (add the
    /// [`crate::DisplayInfo`] `x`/`y` of the display being shown).
    PointerMove {
        /// Horizontal position in pixels.
        x: i32,
        /// Vertical position in pixels.
        y: i32,
    },
    /// Press a mouse button.
    ButtonDown {
        /// Which button.
        button: MouseButton,
    },
    /// Release a mouse button.
    ButtonUp {
        /// Which button.
        button: MouseButton,
    },
    /// Scroll by whole notches, DOM sign convention: `dy > 0` scrolls down, `dx > 0` right.
    /// Each axis is clamped to ±[`MAX_WHEEL_NOTCHES`].
    Wheel {
        /// Horizontal notches.
        dx: i32,
        /// Vertical notches.
        dy: i32,
    },
    /// Press a key by physical code (DOM `KeyboardEvent.code`).
    KeyDown {
        /// E.g. `"KeyA"`, `"Enter"`, `"ShiftLeft"`.
        code: String,
    },
    /// Release a key by physical code.
    KeyUp {
        /// E.g. `"KeyA"`.
        code: String,
    },
    /// Type these characters, whatever the host's keyboard layout. Keys the
    /// viewer holds through `KeyDown` (Ctrl, Shift...) still apply; CapsLock
    /// state on the host is not compensated.
    Text {
        /// The characters; `\n` types Return and `\t` Tab. Other control characters are refused.
        text: String,
    },
}

/// Largest wheel movement per event and axis, so one message cannot queue thousands of clicks.
pub const MAX_WHEEL_NOTCHES: i32 = 50;

/// Largest [`InputEvent::Text`] accepted at once, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// One table, three columns: the DOM code a viewer sends, the `rdev` key
/// (X11/XTest) and the X keysym name of the key at that position on a US
/// layout, which the wlroots virtual keyboard types (see
/// `latchkey_wayland::key_names`; its keymap has no keypad, so keypad keys
/// name the main block's).
macro_rules! key_table {
    ($($code:literal / $xname:literal => $key:expr),* $(,)?) => {
        fn key_for(code: &str) -> Option<(&'static str, Key)> {
            match code {
                $($code => Some(($code, $key)),)*
                _ => None,
            }
        }
        /// The X keysym name for a DOM code (the wlroots virtual keyboard's key names).
        fn x_name_for(code: &str) -> Option<&'static str> {
            match code {
                $($code => Some($xname),)*
                _ => None,
            }
        }
        /// Every physical key code (DOM `KeyboardEvent.code` name) that [`InputEvent::KeyDown`] accepts.
        pub fn key_codes() -> &'static [&'static str] {
            &[$($code),*]
        }
    };
}

/// Right Meta and the context-menu key have no `rdev::Key` on Linux: use their X keycodes.
#[cfg(target_os = "linux")]
const META_RIGHT: Key = Key::Unknown(134);
#[cfg(not(target_os = "linux"))]
const META_RIGHT: Key = Key::MetaRight;
#[cfg(target_os = "linux")]
const CONTEXT_MENU: Key = Key::Unknown(135);
#[cfg(not(target_os = "linux"))]
const CONTEXT_MENU: Key = Key::Unknown(0x5d);

key_table! {
    "KeyA" / "a" => Key::KeyA, "KeyB" / "b" => Key::KeyB, "KeyC" / "c" => Key::KeyC, "KeyD" / "d" => Key::KeyD,
    "KeyE" / "e" => Key::KeyE, "KeyF" / "f" => Key::KeyF, "KeyG" / "g" => Key::KeyG, "KeyH" / "h" => Key::KeyH,
    "KeyI" / "i" => Key::KeyI, "KeyJ" / "j" => Key::KeyJ, "KeyK" / "k" => Key::KeyK, "KeyL" / "l" => Key::KeyL,
    "KeyM" / "m" => Key::KeyM, "KeyN" / "n" => Key::KeyN, "KeyO" / "o" => Key::KeyO, "KeyP" / "p" => Key::KeyP,
    "KeyQ" / "q" => Key::KeyQ, "KeyR" / "r" => Key::KeyR, "KeyS" / "s" => Key::KeyS, "KeyT" / "t" => Key::KeyT,
    "KeyU" / "u" => Key::KeyU, "KeyV" / "v" => Key::KeyV, "KeyW" / "w" => Key::KeyW, "KeyX" / "x" => Key::KeyX,
    "KeyY" / "y" => Key::KeyY, "KeyZ" / "z" => Key::KeyZ,
    "Digit0" / "0" => Key::Num0, "Digit1" / "1" => Key::Num1, "Digit2" / "2" => Key::Num2, "Digit3" / "3" => Key::Num3,
    "Digit4" / "4" => Key::Num4, "Digit5" / "5" => Key::Num5, "Digit6" / "6" => Key::Num6, "Digit7" / "7" => Key::Num7,
    "Digit8" / "8" => Key::Num8, "Digit9" / "9" => Key::Num9,
    "Enter" / "Return" => Key::Return, "Escape" / "Escape" => Key::Escape, "Backspace" / "BackSpace" => Key::Backspace,
    "Tab" / "Tab" => Key::Tab, "Space" / "space" => Key::Space, "Minus" / "minus" => Key::Minus, "Equal" / "equal" => Key::Equal,
    "BracketLeft" / "bracketleft" => Key::LeftBracket, "BracketRight" / "bracketright" => Key::RightBracket,
    "Backslash" / "backslash" => Key::BackSlash, "Semicolon" / "semicolon" => Key::SemiColon, "Quote" / "apostrophe" => Key::Quote,
    "Backquote" / "grave" => Key::BackQuote, "Comma" / "comma" => Key::Comma, "Period" / "period" => Key::Dot,
    "Slash" / "slash" => Key::Slash, "IntlBackslash" / "less" => Key::IntlBackslash, "CapsLock" / "Caps_Lock" => Key::CapsLock,
    "F1" / "F1" => Key::F1, "F2" / "F2" => Key::F2, "F3" / "F3" => Key::F3, "F4" / "F4" => Key::F4, "F5" / "F5" => Key::F5,
    "F6" / "F6" => Key::F6, "F7" / "F7" => Key::F7, "F8" / "F8" => Key::F8, "F9" / "F9" => Key::F9, "F10" / "F10" => Key::F10,
    "F11" / "F11" => Key::F11, "F12" / "F12" => Key::F12,
    "PrintScreen" / "Print" => Key::PrintScreen, "ScrollLock" / "Scroll_Lock" => Key::ScrollLock, "Pause" / "Pause" => Key::Pause,
    "Insert" / "Insert" => Key::Insert, "Home" / "Home" => Key::Home, "PageUp" / "Page_Up" => Key::PageUp,
    "Delete" / "Delete" => Key::Delete, "End" / "End" => Key::End, "PageDown" / "Page_Down" => Key::PageDown,
    "ArrowRight" / "Right" => Key::RightArrow, "ArrowLeft" / "Left" => Key::LeftArrow,
    "ArrowDown" / "Down" => Key::DownArrow, "ArrowUp" / "Up" => Key::UpArrow,
    "NumLock" / "Num_Lock" => Key::NumLock, "NumpadDivide" / "slash" => Key::KpDivide,
    "NumpadMultiply" / "asterisk" => Key::KpMultiply, "NumpadSubtract" / "minus" => Key::KpMinus,
    "NumpadAdd" / "plus" => Key::KpPlus, "NumpadEnter" / "KP_Enter" => Key::KpReturn, "NumpadDecimal" / "period" => Key::KpDelete,
    "Numpad0" / "0" => Key::Kp0, "Numpad1" / "1" => Key::Kp1, "Numpad2" / "2" => Key::Kp2, "Numpad3" / "3" => Key::Kp3,
    "Numpad4" / "4" => Key::Kp4, "Numpad5" / "5" => Key::Kp5, "Numpad6" / "6" => Key::Kp6, "Numpad7" / "7" => Key::Kp7,
    "Numpad8" / "8" => Key::Kp8, "Numpad9" / "9" => Key::Kp9,
    "ControlLeft" / "Control_L" => Key::ControlLeft, "ControlRight" / "Control_R" => Key::ControlRight,
    "ShiftLeft" / "Shift_L" => Key::ShiftLeft, "ShiftRight" / "Shift_R" => Key::ShiftRight,
    "AltLeft" / "Alt_L" => Key::Alt, "AltRight" / "Alt_R" => Key::AltGr,
    "MetaLeft" / "Super_L" => Key::MetaLeft, "MetaRight" / "Super_R" => META_RIGHT, "ContextMenu" / "Menu" => CONTEXT_MENU,
}

fn rdev_button(b: MouseButton) -> Button {
    match b {
        MouseButton::Left => Button::Left,
        MouseButton::Middle => Button::Middle,
        MouseButton::Right => Button::Right,
    }
}

fn send(event: &EventType) -> Result<()> {
    rdev::simulate(event).map_err(|_| {
        // The kind only: the key (or the typed character's keycode) is what a
        // viewer typed, and errors end up in logs.
        let kind = match event {
            EventType::KeyPress(_) => "key press",
            EventType::KeyRelease(_) => "key release",
            EventType::ButtonPress(_) => "button press",
            EventType::ButtonRelease(_) => "button release",
            EventType::MouseMove { .. } => "pointer move",
            EventType::Wheel { .. } => "wheel",
        };
        Error::Inject(format!("a {kind} was refused (no display or no XTest?)"))
    })
}

/// Where an [`Injector`] sends events, chosen on first use by
/// [`crate::session::detect`].
enum Backend {
    /// XTest through `rdev`, into the X server of `DISPLAY` (also what is tried
    /// on desktops with no input path of their own yet).
    X11,
    /// The wlr virtual pointer and keyboard of the compositor of `WAYLAND_DISPLAY`.
    Wlroots(Box<latchkey_wayland::VirtualInput>),
}

/// Injects [`InputEvent`]s and remembers which keys and buttons it holds.
///
/// One `Injector` per session: dropping it (or [`Injector::release_all`])
/// releases everything the session pressed and undoes any keyboard-map change
/// made for text entry. On its first event it picks X11 (XTest) or, in a
/// wlroots session, the compositor's virtual pointer and keyboard (pointer
/// positions are then in the compositor's layout, as [`crate::WlrScreen`]
/// describes its outputs; the pointer moves on the first output).
#[derive(Default)]
pub struct Injector {
    /// Keys pressed by this injector and not yet released (canonical code names).
    held_keys: BTreeSet<&'static str>,
    /// Buttons pressed by this injector and not yet released.
    held_buttons: BTreeSet<MouseButton>,
    /// `None` until the first event.
    backend: Option<Backend>,
    /// Opened on the first text event; remembers spare keycodes it bound.
    #[cfg(target_os = "linux")]
    keymap: Option<crate::platform::linux::Keymap>,
}

impl std::fmt::Debug for Injector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injector")
            .field("held_keys", &self.held_keys)
            .field("held_buttons", &self.held_buttons)
            .field(
                "wlroots",
                &matches!(self.backend, Some(Backend::Wlroots(_))),
            )
            .finish_non_exhaustive()
    }
}

fn wl_button(b: MouseButton) -> latchkey_wayland::Button {
    match b {
        MouseButton::Left => latchkey_wayland::Button::Left,
        MouseButton::Middle => latchkey_wayland::Button::Middle,
        MouseButton::Right => latchkey_wayland::Button::Right,
    }
}

fn wl_err(e: latchkey_wayland::Error) -> Error {
    // The Wayland crate's messages carry no key names or text either.
    Error::Inject(format!("Wayland: {e}"))
}

/// Whether a failure of the virtual input means its connection is gone.
fn connection_lost(e: &latchkey_wayland::Error) -> bool {
    !matches!(
        e,
        latchkey_wayland::Error::UnknownKey | latchkey_wayland::Error::UntypableText
    )
}

impl Injector {
    /// A new injector holding nothing. Does not touch the display yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keys currently held down by this injector.
    pub fn held_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.held_keys.iter().copied()
    }

    /// Buttons currently held down by this injector.
    pub fn held_buttons(&self) -> impl Iterator<Item = MouseButton> + '_ {
        self.held_buttons.iter().copied()
    }

    /// The backend, chosen (and recorded for `status`) on first use.
    fn backend(&mut self) -> &mut Backend {
        self.backend.get_or_insert_with(|| {
            let detected = crate::session::detect();
            if detected.kind == crate::session::SessionKind::Wlroots {
                match latchkey_wayland::VirtualInput::connect(None) {
                    Ok(vi) => {
                        tracing::info!(output = %vi.output().name, "input through the wlr virtual pointer and keyboard");
                        crate::session::record_input("wlroots", &detected.note);
                        return Backend::Wlroots(Box::new(vi));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "no wlr virtual input; trying XTest");
                    }
                }
            }
            let path = match detected.kind {
                crate::session::SessionKind::X11 => "x11",
                _ => "x11 (XTest; no input path for this desktop yet)",
            };
            crate::session::record_input(path, &detected.note);
            Backend::X11
        })
    }

    /// Injects one event.
    ///
    /// A key or button release for something this injector does not hold is
    /// ignored (so a viewer cannot release keys the local user holds). An
    /// unknown key code is [`Error::UnknownKeyCode`] and injects nothing.
    pub fn apply(&mut self, event: &InputEvent) -> Result<()> {
        if let InputEvent::KeyDown { code } | InputEvent::KeyUp { code } = event {
            key_for(code).ok_or_else(|| Error::UnknownKeyCode(code.clone()))?;
        }
        match self.backend() {
            Backend::X11 => self.apply_x11(event),
            Backend::Wlroots(_) => {
                let result = self.apply_wlroots(event);
                if let Err(e) = &result {
                    if connection_lost(e) {
                        // The compositor went away: what was held went with it; the
                        // next event connects again.
                        tracing::warn!(error = %e, "the wlr virtual input failed; reconnecting on the next event");
                        self.backend = None;
                        self.held_keys.clear();
                        self.held_buttons.clear();
                    }
                }
                result.map_err(wl_err)
            }
        }
    }

    fn apply_wlroots(
        &mut self,
        event: &InputEvent,
    ) -> std::result::Result<(), latchkey_wayland::Error> {
        let Some(Backend::Wlroots(vi)) = self.backend.as_mut() else {
            return Ok(());
        };
        match event {
            InputEvent::PointerMove { x, y } => {
                let out = vi.output();
                let to_output = |v: i32, origin: i32| {
                    u32::try_from(i64::from(v) - i64::from(origin)).unwrap_or(0)
                };
                let (ox, oy) = (out.x, out.y);
                vi.move_to(to_output(*x, ox), to_output(*y, oy))
            }
            InputEvent::ButtonDown { button } => {
                vi.button(wl_button(*button), true)?;
                self.held_buttons.insert(*button);
                Ok(())
            }
            InputEvent::ButtonUp { button } => {
                if self.held_buttons.remove(button) {
                    vi.button(wl_button(*button), false)?;
                }
                Ok(())
            }
            InputEvent::Wheel { dx, dy } => {
                if *dx == 0 && *dy == 0 {
                    return Ok(());
                }
                // Both use the DOM's signs (dy > 0 scrolls down); the crate clamps.
                vi.scroll(*dx, *dy)
            }
            InputEvent::KeyDown { code } => {
                let (Some((name, _)), Some(x_name)) = (key_for(code), x_name_for(code)) else {
                    return Ok(());
                };
                vi.key(x_name, true)?;
                self.held_keys.insert(name);
                Ok(())
            }
            InputEvent::KeyUp { code } => {
                let (Some((name, _)), Some(x_name)) = (key_for(code), x_name_for(code)) else {
                    return Ok(());
                };
                if self.held_keys.remove(name) {
                    vi.key(x_name, false)?;
                }
                Ok(())
            }
            InputEvent::Text { text } => {
                if text.chars().count() > MAX_TEXT_CHARS {
                    return Err(latchkey_wayland::Error::UntypableText);
                }
                vi.type_text(text)
            }
        }
    }

    fn apply_x11(&mut self, event: &InputEvent) -> Result<()> {
        match event {
            InputEvent::PointerMove { x, y } => send(&EventType::MouseMove {
                x: f64::from(*x),
                y: f64::from(*y),
            }),
            InputEvent::ButtonDown { button } => {
                send(&EventType::ButtonPress(rdev_button(*button)))?;
                self.held_buttons.insert(*button);
                Ok(())
            }
            InputEvent::ButtonUp { button } => {
                if self.held_buttons.remove(button) {
                    send(&EventType::ButtonRelease(rdev_button(*button)))?;
                }
                Ok(())
            }
            InputEvent::Wheel { dx, dy } => {
                let clamp = |v: i32| i64::from(v.clamp(-MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES));
                if *dx == 0 && *dy == 0 {
                    return Ok(());
                }
                // rdev: positive delta_y scrolls up; the DOM's positive deltaY scrolls down.
                send(&EventType::Wheel {
                    delta_x: clamp(*dx),
                    delta_y: -clamp(*dy),
                })
            }
            InputEvent::KeyDown { code } => {
                let (name, key) =
                    key_for(code).ok_or_else(|| Error::UnknownKeyCode(code.clone()))?;
                send(&EventType::KeyPress(key))?;
                self.held_keys.insert(name);
                Ok(())
            }
            InputEvent::KeyUp { code } => {
                let (name, key) =
                    key_for(code).ok_or_else(|| Error::UnknownKeyCode(code.clone()))?;
                if self.held_keys.remove(name) {
                    send(&EventType::KeyRelease(key))?;
                }
                Ok(())
            }
            InputEvent::Text { text } => self.type_text(text),
        }
    }

    #[cfg(target_os = "linux")]
    fn type_text(&mut self, text: &str) -> Result<()> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::InvalidSetting(format!(
                "text longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| crate::platform::linux::keysym_for(*c).is_none())
        {
            return Err(Error::CannotType(bad));
        }
        let keymap = match &mut self.keymap {
            Some(k) => k,
            None => self.keymap.insert(crate::platform::linux::Keymap::open()?),
        };
        let shift_held =
            self.held_keys.contains("ShiftLeft") || self.held_keys.contains("ShiftRight");
        for ch in text.chars() {
            let (keycode, shift) = keymap.lookup(ch)?;
            let key = Key::Unknown(u32::from(keycode));
            let add_shift = shift && !shift_held;
            if add_shift {
                send(&EventType::KeyPress(Key::ShiftLeft))?;
            }
            let res =
                send(&EventType::KeyPress(key)).and_then(|()| send(&EventType::KeyRelease(key)));
            if add_shift {
                send(&EventType::KeyRelease(Key::ShiftLeft))?;
            }
            res?;
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn type_text(&mut self, text: &str) -> Result<()> {
        match text.chars().next() {
            Some(c) => Err(Error::CannotType(c)),
            None => Ok(()),
        }
    }

    /// Releases every key and button this injector holds and restores the
    /// keyboard map. Tries everything even if one step fails, then reports the first error.
    pub fn release_all(&mut self) -> Result<()> {
        if let Some(Backend::Wlroots(vi)) = self.backend.as_mut() {
            let mut first_err: Option<latchkey_wayland::Error> = None;
            for name in std::mem::take(&mut self.held_keys) {
                if let Some(x_name) = x_name_for(name) {
                    if let Err(e) = vi.key(x_name, false) {
                        first_err.get_or_insert(e);
                    }
                }
            }
            for b in std::mem::take(&mut self.held_buttons) {
                if let Err(e) = vi.button(wl_button(b), false) {
                    first_err.get_or_insert(e);
                }
            }
            // Anything else it holds (a lock it turned on), and wait for the compositor.
            if let Err(e) = vi.release_all() {
                first_err.get_or_insert(e);
            }
            return first_err.map_or(Ok(()), |e| Err(wl_err(e)));
        }
        let mut first_err: Option<Error> = None;
        for name in std::mem::take(&mut self.held_keys) {
            if let Some((_, key)) = key_for(name) {
                if let Err(e) = send(&EventType::KeyRelease(key)) {
                    first_err.get_or_insert(e);
                }
            }
        }
        for b in std::mem::take(&mut self.held_buttons) {
            if let Err(e) = send(&EventType::ButtonRelease(rdev_button(b))) {
                first_err.get_or_insert(e);
            }
        }
        #[cfg(target_os = "linux")]
        if let Some(k) = self.keymap.as_mut() {
            if let Err(e) = k.restore() {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Drop for Injector {
    fn drop(&mut self) {
        if let Err(e) = self.release_all() {
            tracing::warn!(error = %e, "releasing held input on drop failed");
        }
    }
}

/// Whether `code` is a physical key code that [`InputEvent::KeyDown`] accepts.
pub fn is_key_code(code: &str) -> bool {
    key_for(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json() {
        let events = vec![
            InputEvent::PointerMove { x: 10, y: -3 },
            InputEvent::ButtonDown {
                button: MouseButton::Left,
            },
            InputEvent::ButtonUp {
                button: MouseButton::Right,
            },
            InputEvent::Wheel { dx: 0, dy: 2 },
            InputEvent::KeyDown {
                code: "KeyA".into(),
            },
            InputEvent::KeyUp {
                code: "ShiftLeft".into(),
            },
            InputEvent::Text {
                text: "hé€\n".into(),
            },
        ];
        for e in events {
            let json = serde_json::to_string(&e).expect("serialise");
            let back: InputEvent = serde_json::from_str(&json).expect("parse");
            assert_eq!(back, e);
        }
        let parsed: InputEvent =
            serde_json::from_str(r#"{"type":"button_down","button":"middle"}"#).expect("parse");
        assert_eq!(
            parsed,
            InputEvent::ButtonDown {
                button: MouseButton::Middle
            }
        );
    }

    #[test]
    fn key_table_is_consistent() {
        for code in key_codes() {
            assert!(is_key_code(code), "{code}");
            let (name, _) = key_for(code).expect("listed");
            assert_eq!(&name, code);
        }
        assert!(!is_key_code("KeyÄ"));
        assert!(!is_key_code(""));
    }

    /// Every key a viewer can press has a name the wlroots virtual keyboard knows.
    #[test]
    fn every_code_has_a_wayland_key_name() {
        let names = latchkey_wayland::key_names();
        for code in key_codes() {
            let x_name = x_name_for(code).expect("every row has a name");
            assert!(names.contains(&x_name), "{code} -> {x_name}");
        }
        assert_eq!(x_name_for("KeyA"), Some("a"));
        assert_eq!(x_name_for("ShiftLeft"), Some("Shift_L"));
        assert_eq!(x_name_for("Enter"), Some("Return"));
    }

    #[test]
    fn unknown_codes_inject_nothing() {
        let mut inj = Injector::new();
        let err = inj.apply(&InputEvent::KeyDown {
            code: "NoSuchKey".into(),
        });
        assert!(matches!(err, Err(Error::UnknownKeyCode(c)) if c == "NoSuchKey"));
        // Releasing what is not held is a no-op, not an injection.
        inj.apply(&InputEvent::KeyUp {
            code: "KeyA".into(),
        })
        .expect("ignored");
        inj.apply(&InputEvent::ButtonUp {
            button: MouseButton::Left,
        })
        .expect("ignored");
        assert_eq!(inj.held_keys().count(), 0);
    }
}
