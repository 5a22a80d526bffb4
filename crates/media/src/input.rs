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

macro_rules! key_table {
    ($($code:literal => $key:expr),* $(,)?) => {
        fn key_for(code: &str) -> Option<(&'static str, Key)> {
            match code {
                $($code => Some(($code, $key)),)*
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
    "KeyA" => Key::KeyA, "KeyB" => Key::KeyB, "KeyC" => Key::KeyC, "KeyD" => Key::KeyD,
    "KeyE" => Key::KeyE, "KeyF" => Key::KeyF, "KeyG" => Key::KeyG, "KeyH" => Key::KeyH,
    "KeyI" => Key::KeyI, "KeyJ" => Key::KeyJ, "KeyK" => Key::KeyK, "KeyL" => Key::KeyL,
    "KeyM" => Key::KeyM, "KeyN" => Key::KeyN, "KeyO" => Key::KeyO, "KeyP" => Key::KeyP,
    "KeyQ" => Key::KeyQ, "KeyR" => Key::KeyR, "KeyS" => Key::KeyS, "KeyT" => Key::KeyT,
    "KeyU" => Key::KeyU, "KeyV" => Key::KeyV, "KeyW" => Key::KeyW, "KeyX" => Key::KeyX,
    "KeyY" => Key::KeyY, "KeyZ" => Key::KeyZ,
    "Digit0" => Key::Num0, "Digit1" => Key::Num1, "Digit2" => Key::Num2, "Digit3" => Key::Num3,
    "Digit4" => Key::Num4, "Digit5" => Key::Num5, "Digit6" => Key::Num6, "Digit7" => Key::Num7,
    "Digit8" => Key::Num8, "Digit9" => Key::Num9,
    "Enter" => Key::Return, "Escape" => Key::Escape, "Backspace" => Key::Backspace,
    "Tab" => Key::Tab, "Space" => Key::Space, "Minus" => Key::Minus, "Equal" => Key::Equal,
    "BracketLeft" => Key::LeftBracket, "BracketRight" => Key::RightBracket,
    "Backslash" => Key::BackSlash, "Semicolon" => Key::SemiColon, "Quote" => Key::Quote,
    "Backquote" => Key::BackQuote, "Comma" => Key::Comma, "Period" => Key::Dot,
    "Slash" => Key::Slash, "IntlBackslash" => Key::IntlBackslash, "CapsLock" => Key::CapsLock,
    "F1" => Key::F1, "F2" => Key::F2, "F3" => Key::F3, "F4" => Key::F4, "F5" => Key::F5,
    "F6" => Key::F6, "F7" => Key::F7, "F8" => Key::F8, "F9" => Key::F9, "F10" => Key::F10,
    "F11" => Key::F11, "F12" => Key::F12,
    "PrintScreen" => Key::PrintScreen, "ScrollLock" => Key::ScrollLock, "Pause" => Key::Pause,
    "Insert" => Key::Insert, "Home" => Key::Home, "PageUp" => Key::PageUp,
    "Delete" => Key::Delete, "End" => Key::End, "PageDown" => Key::PageDown,
    "ArrowRight" => Key::RightArrow, "ArrowLeft" => Key::LeftArrow,
    "ArrowDown" => Key::DownArrow, "ArrowUp" => Key::UpArrow,
    "NumLock" => Key::NumLock, "NumpadDivide" => Key::KpDivide,
    "NumpadMultiply" => Key::KpMultiply, "NumpadSubtract" => Key::KpMinus,
    "NumpadAdd" => Key::KpPlus, "NumpadEnter" => Key::KpReturn, "NumpadDecimal" => Key::KpDelete,
    "Numpad0" => Key::Kp0, "Numpad1" => Key::Kp1, "Numpad2" => Key::Kp2, "Numpad3" => Key::Kp3,
    "Numpad4" => Key::Kp4, "Numpad5" => Key::Kp5, "Numpad6" => Key::Kp6, "Numpad7" => Key::Kp7,
    "Numpad8" => Key::Kp8, "Numpad9" => Key::Kp9,
    "ControlLeft" => Key::ControlLeft, "ControlRight" => Key::ControlRight,
    "ShiftLeft" => Key::ShiftLeft, "ShiftRight" => Key::ShiftRight,
    "AltLeft" => Key::Alt, "AltRight" => Key::AltGr,
    "MetaLeft" => Key::MetaLeft, "MetaRight" => META_RIGHT, "ContextMenu" => CONTEXT_MENU,
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

/// Injects [`InputEvent`]s and remembers which keys and buttons it holds.
///
/// One `Injector` per session: dropping it (or [`Injector::release_all`])
/// releases everything the session pressed and undoes any keyboard-map change
/// made for text entry.
#[derive(Default)]
pub struct Injector {
    /// Keys pressed by this injector and not yet released (canonical code names).
    held_keys: BTreeSet<&'static str>,
    /// Buttons pressed by this injector and not yet released.
    held_buttons: BTreeSet<MouseButton>,
    /// Opened on the first text event; remembers spare keycodes it bound.
    #[cfg(target_os = "linux")]
    keymap: Option<crate::platform::linux::Keymap>,
}

impl std::fmt::Debug for Injector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injector")
            .field("held_keys", &self.held_keys)
            .field("held_buttons", &self.held_buttons)
            .finish_non_exhaustive()
    }
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

    /// Injects one event.
    ///
    /// A key or button release for something this injector does not hold is
    /// ignored (so a viewer cannot release keys the local user holds). An
    /// unknown key code is [`Error::UnknownKeyCode`] and injects nothing.
    pub fn apply(&mut self, event: &InputEvent) -> Result<()> {
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
