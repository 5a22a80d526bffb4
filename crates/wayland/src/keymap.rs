//! The XKB keymap the virtual keyboard sends, and how key names and characters
//! map onto its keycodes. Pure logic, unit-tested below.
//!
//! The keymap is this crate's own, so typing does not depend on the layout of
//! the person at the desk (the virtual keyboard brings its keymap with it):
//! letters `a`..`z` as two-level keys (Shift gives `A`..`Z`, so Shift+letter
//! shortcuts work), digits, every other printable ASCII character on a key of
//! its own, the usual named keys (`Return`, `BackSpace`, arrows, `F1`..`F12`)
//! and the modifiers (`Shift_L`, `Control_L`, `Alt_L`, `Super_L`, ... with
//! their modifier maps, so holding them changes what other keys do). Characters
//! outside that set get a spare keycode when they are typed
//! ([`Keymap::make_typable`]); the caller then sends the new keymap.

/// First keycode used (XKB keycodes start at 8; evdev code = XKB code - 8).
const FIRST_KEYCODE: u32 = 9;
/// Last keycode (X11 clients cannot see keycodes above 255).
const LAST_KEYCODE: u32 = 255;

/// Named keys: (keysym name, the modifier it sets, if any).
const NAMED: &[(&str, Option<&str>)] = &[
    ("Return", None),
    ("BackSpace", None),
    ("Tab", None),
    ("Escape", None),
    ("Delete", None),
    ("Insert", None),
    ("Home", None),
    ("End", None),
    ("Page_Up", None),
    ("Page_Down", None),
    ("Left", None),
    ("Right", None),
    ("Up", None),
    ("Down", None),
    ("F1", None),
    ("F2", None),
    ("F3", None),
    ("F4", None),
    ("F5", None),
    ("F6", None),
    ("F7", None),
    ("F8", None),
    ("F9", None),
    ("F10", None),
    ("F11", None),
    ("F12", None),
    ("Menu", None),
    ("Print", None),
    ("Pause", None),
    ("Scroll_Lock", None),
    ("KP_Enter", None),
    ("Shift_L", Some("Shift")),
    ("Shift_R", Some("Shift")),
    ("Control_L", Some("Control")),
    ("Control_R", Some("Control")),
    ("Alt_L", Some("Mod1")),
    ("Alt_R", Some("Mod1")),
    ("Super_L", Some("Mod4")),
    ("Super_R", Some("Mod4")),
    ("Caps_Lock", Some("Lock")),
    ("Num_Lock", Some("Mod2")),
];

/// The X keysym names of printable ASCII characters other than letters and digits.
const PUNCTUATION: &[(char, &str)] = &[
    (' ', "space"),
    ('!', "exclam"),
    ('"', "quotedbl"),
    ('#', "numbersign"),
    ('$', "dollar"),
    ('%', "percent"),
    ('&', "ampersand"),
    ('\'', "apostrophe"),
    ('(', "parenleft"),
    (')', "parenright"),
    ('*', "asterisk"),
    ('+', "plus"),
    (',', "comma"),
    ('-', "minus"),
    ('.', "period"),
    ('/', "slash"),
    (':', "colon"),
    (';', "semicolon"),
    ('<', "less"),
    ('=', "equal"),
    ('>', "greater"),
    ('?', "question"),
    ('@', "at"),
    ('[', "bracketleft"),
    ('\\', "backslash"),
    (']', "bracketright"),
    ('^', "asciicircum"),
    ('_', "underscore"),
    ('`', "grave"),
    ('{', "braceleft"),
    ('|', "bar"),
    ('}', "braceright"),
    ('~', "asciitilde"),
];

/// Every key name [`Keymap::key`] accepts: X keysym names (`a`, `A`, `Return`,
/// `Shift_L`, `exclam`, ...). A single printable ASCII character also names its key.
pub fn key_names() -> Vec<&'static str> {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut names: Vec<&'static str> = (0..LETTERS.len())
        .filter_map(|i| LETTERS.get(i..i + 1))
        .collect();
    names.extend(PUNCTUATION.iter().map(|(_, n)| *n));
    names.extend(NAMED.iter().map(|(n, _)| *n));
    names
}

/// One key of the keymap.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    /// Keysym names by level (one, or two for letters).
    syms: Vec<String>,
    /// The real modifier this key sets (`Shift`, `Control`, `Mod1`...).
    modifier: Option<&'static str>,
    /// The character this key types at level 1 (at level 2 for capitals via
    /// `upper`), for text entry.
    text: Option<char>,
    /// The capital a letter key types with Shift.
    upper: Option<char>,
}

/// What a modifier key does to the keyboard's modifier state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Modifier {
    /// Its bit in `wl_keyboard.modifiers` masks.
    pub mask: u32,
    /// Whether a press toggles it locked (Caps Lock, Num Lock) rather than
    /// holding it while the key is down.
    pub locking: bool,
}

/// How to type one character: press `keycode`, with Shift held if `shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stroke {
    /// The XKB keycode.
    pub keycode: u32,
    /// Whether Shift must be held.
    pub shift: bool,
}

/// The keymap: fixed keys first, then spare keycodes bound to typed characters.
#[derive(Debug, Clone)]
pub(crate) struct Keymap {
    keys: Vec<Key>,
    /// How many keys are fixed; the rest were added for text.
    fixed: usize,
}

impl Keymap {
    /// The fixed keymap (letters, digits, punctuation, named keys, modifiers).
    pub fn new() -> Self {
        let mut keys = Vec::new();
        for c in 'a'..='z' {
            let upper = c.to_ascii_uppercase();
            keys.push(Key {
                syms: vec![c.to_string(), upper.to_string()],
                modifier: None,
                text: Some(c),
                upper: Some(upper),
            });
        }
        for c in '0'..='9' {
            keys.push(Key {
                syms: vec![c.to_string()],
                modifier: None,
                text: Some(c),
                upper: None,
            });
        }
        for &(c, name) in PUNCTUATION {
            keys.push(Key {
                syms: vec![name.to_string()],
                modifier: None,
                text: Some(c),
                upper: None,
            });
        }
        for &(name, modifier) in NAMED {
            keys.push(Key {
                syms: vec![name.to_string()],
                modifier,
                text: match name {
                    "Return" => Some('\n'),
                    "Tab" => Some('\t'),
                    _ => None,
                },
                upper: None,
            });
        }
        let fixed = keys.len();
        Keymap { keys, fixed }
    }

    fn keycode(index: usize) -> u32 {
        FIRST_KEYCODE + index as u32
    }

    /// How many spare keycodes text entry can use at once.
    pub fn capacity(&self) -> usize {
        (LAST_KEYCODE - FIRST_KEYCODE + 1) as usize - self.fixed
    }

    /// The keycode of the key named `name` (see [`key_names`]).
    pub fn key(&self, name: &str) -> Option<u32> {
        let mut chars = name.chars();
        let single = match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        };
        self.keys[..self.fixed]
            .iter()
            .position(|k| {
                k.syms.iter().any(|s| s == name)
                    || single.is_some_and(|c| c != '\n' && c != '\t' && k.text == Some(c))
            })
            .map(Self::keycode)
    }

    /// The keycode of the Shift_L key.
    pub fn shift(&self) -> u32 {
        // Shift_L is in NAMED, so it is always found.
        self.key("Shift_L").unwrap_or(FIRST_KEYCODE)
    }

    /// Whether `keycode` is a Shift key.
    pub fn is_shift(&self, keycode: u32) -> bool {
        self.modifier_of(keycode) == Some("Shift")
    }

    /// The modifier mask `keycode` sets, if it is a modifier key. XKB gives the
    /// eight real modifiers the indices 0..8 in this order, so the masks are fixed.
    pub fn modifier(&self, keycode: u32) -> Option<Modifier> {
        let (mask, locking) = match self.modifier_of(keycode)? {
            "Shift" => (1 << 0, false),
            "Lock" => (1 << 1, true),
            "Control" => (1 << 2, false),
            "Mod1" => (1 << 3, false),
            "Mod2" => (1 << 4, true),
            "Mod4" => (1 << 6, false),
            _ => return None,
        };
        Some(Modifier { mask, locking })
    }

    fn modifier_of(&self, keycode: u32) -> Option<&'static str> {
        let i = keycode.checked_sub(FIRST_KEYCODE)? as usize;
        self.keys.get(i)?.modifier
    }

    /// How to type `c`, if the keymap has it now.
    pub fn stroke(&self, c: char) -> Option<Stroke> {
        self.keys.iter().enumerate().find_map(|(i, k)| {
            if k.text == Some(c) {
                Some(Stroke {
                    keycode: Self::keycode(i),
                    shift: false,
                })
            } else if k.upper == Some(c) {
                Some(Stroke {
                    keycode: Self::keycode(i),
                    shift: true,
                })
            } else {
                None
            }
        })
    }

    /// Whether `c` can be typed at all: printable, or `\n`/`\t`.
    pub fn typable(c: char) -> bool {
        c == '\n' || c == '\t' || !c.is_control()
    }

    /// Binds spare keycodes to the characters of `chars` that the keymap lacks,
    /// first releasing the spare keycodes bound before (never held: text keys are
    /// pressed and released at once). Returns whether the keymap changed. At most
    /// [`Keymap::capacity`] characters are taken; the caller passes the next ones.
    pub fn make_typable(&mut self, chars: impl IntoIterator<Item = char>) -> bool {
        let mut missing: Vec<char> = Vec::new();
        for c in chars {
            if Self::typable(c)
                && self.keys[..self.fixed]
                    .iter()
                    .all(|k| k.text != Some(c) && k.upper != Some(c))
                && !missing.contains(&c)
            {
                missing.push(c);
                if missing.len() == self.capacity() {
                    break;
                }
            }
        }
        let current: Vec<char> = self.keys[self.fixed..]
            .iter()
            .filter_map(|k| k.text)
            .collect();
        if missing.iter().all(|c| current.contains(c)) {
            return false;
        }
        // Keep what is already bound while it fits, so a long text in a few
        // scripts does not re-send the keymap for every character.
        let mut bound: Vec<char> = current;
        for c in &missing {
            if !bound.contains(c) {
                bound.push(*c);
            }
        }
        if bound.len() > self.capacity() {
            bound = missing;
        }
        self.keys.truncate(self.fixed);
        for c in bound {
            self.keys.push(Key {
                syms: vec![format!("U{:04X}", u32::from(c))],
                modifier: None,
                text: Some(c),
                upper: None,
            });
        }
        true
    }

    /// The keymap in XKB's text format (`XKB_KEYMAP_FORMAT_TEXT_V1`).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        s.push_str("xkb_keymap {\nxkb_keycodes \"latchkey\" {\n");
        let _ = writeln!(s, "  minimum = 8;\n  maximum = {LAST_KEYCODE};");
        for i in 0..self.keys.len() {
            let code = Self::keycode(i);
            let _ = writeln!(s, "  <K{code}> = {code};");
        }
        s.push_str("};\n");
        s.push_str("xkb_types \"latchkey\" { include \"complete\" };\n");
        s.push_str("xkb_compatibility \"latchkey\" { include \"complete\" };\n");
        s.push_str("xkb_symbols \"latchkey\" {\n");
        for (i, k) in self.keys.iter().enumerate() {
            let _ = writeln!(
                s,
                "  key <K{}> {{ [ {} ] }};",
                Self::keycode(i),
                k.syms.join(", ")
            );
        }
        for modifier in ["Shift", "Lock", "Control", "Mod1", "Mod2", "Mod4"] {
            let keys: Vec<String> = self
                .keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.modifier == Some(modifier))
                .map(|(i, _)| format!("<K{}>", Self::keycode(i)))
                .collect();
            if !keys.is_empty() {
                let _ = writeln!(s, "  modifier_map {modifier} {{ {} }};", keys.join(", "));
            }
        }
        s.push_str("};\n};\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_has_a_distinct_key_except_letter_cases() {
        let map = Keymap::new();
        for name in key_names() {
            assert!(map.key(name).is_some(), "{name}");
        }
        assert_eq!(map.key("a"), map.key("A"));
        assert_ne!(map.key("a"), map.key("b"));
        assert_eq!(map.key("!"), map.key("exclam"));
        assert_eq!(map.key(" "), map.key("space"));
        assert_eq!(map.key("Nonsense"), None);
        assert_eq!(map.key(""), None);
        assert!(map.is_shift(map.shift()));
        assert!(!map.is_shift(map.key("Control_L").expect("listed")));
        let modifier = |name: &str| map.key(name).and_then(|k| map.modifier(k));
        assert_eq!(modifier("Shift_R").map(|m| m.mask), Some(1));
        assert_eq!(modifier("Control_L").map(|m| m.mask), Some(4));
        assert_eq!(modifier("Alt_L").map(|m| m.mask), Some(8));
        assert_eq!(modifier("Super_L").map(|m| m.mask), Some(64));
        assert!(modifier("Caps_Lock").is_some_and(|m| m.locking && m.mask == 2));
        assert_eq!(modifier("a"), None);
        let max = key_names()
            .iter()
            .filter_map(|n| map.key(n))
            .max()
            .expect("keys");
        assert!(max <= LAST_KEYCODE);
    }

    #[test]
    fn ascii_text_needs_no_change_and_capitals_need_shift() {
        let mut map = Keymap::new();
        let text = "Hello, World! ~{}|\n\t0123456789";
        assert!(!map.make_typable(text.chars()));
        for c in text.chars() {
            let stroke = map.stroke(c).expect("typable");
            assert_eq!(stroke.shift, c.is_ascii_uppercase(), "{c:?}");
        }
        assert_eq!(map.stroke('h').map(|s| s.keycode), map.key("h"));
        assert_eq!(map.stroke('\n').map(|s| s.keycode), map.key("Return"));
    }

    #[test]
    fn other_characters_get_spare_keycodes_within_range() {
        let mut map = Keymap::new();
        assert_eq!(map.stroke('é'), None);
        assert!(map.make_typable("héllo €".chars()));
        let e = map.stroke('é').expect("bound");
        let euro = map.stroke('€').expect("bound");
        assert!(!e.shift && e.keycode != euro.keycode && euro.keycode <= LAST_KEYCODE);
        let text = map.to_text();
        assert!(
            text.contains("[ U00E9 ]") && text.contains("[ U20AC ]"),
            "{text}"
        );
        // Already bound: nothing to send.
        assert!(!map.make_typable("é€".chars()));
        // Control characters are never bound.
        assert!(!map.make_typable("\u{7}".chars()));
    }

    #[test]
    fn a_text_with_more_new_characters_than_spare_keycodes_is_bound_in_parts() {
        let mut map = Keymap::new();
        let cap = map.capacity();
        let many: Vec<char> = (0..cap as u32 + 10)
            .filter_map(|i| char::from_u32(0x4E00 + i))
            .collect();
        assert!(map.make_typable(many.iter().copied()));
        assert!(map.stroke(many[0]).is_some());
        assert!(map.stroke(many[cap - 1]).is_some());
        assert!(map.stroke(many[cap]).is_none());
        assert!(map.make_typable(many[cap..].iter().copied()));
        assert!(map.stroke(many[cap]).is_some());
        for k in [many[cap], many[cap + 9]] {
            assert!(map.stroke(k).is_some_and(|s| s.keycode <= LAST_KEYCODE));
        }
    }

    #[test]
    fn keymap_text_declares_every_key_and_the_modifier_maps() {
        let map = Keymap::new();
        let text = map.to_text();
        let shift = map.shift();
        assert!(text.contains(&format!("<K{shift}> = {shift};")));
        assert!(text.contains(&format!("key <K{shift}> {{ [ Shift_L ] }};")));
        assert!(text.contains("modifier_map Shift {"));
        assert!(text.contains("modifier_map Control {"));
        let a = map.key("a").expect("listed");
        assert!(text.contains(&format!("key <K{a}> {{ [ a, A ] }};")));
        assert_eq!(text.matches("key <K").count(), map.keys.len());
    }
}
