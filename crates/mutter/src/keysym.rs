//! Key names and characters to X keysyms, the unit of Mutter's
//! `NotifyKeyboardKeysym`. Pure logic, unit-tested below.
//!
//! Mutter finds a keycode for each keysym in the session's current keymap and
//! adds the Shift (or AltGr) that level needs by itself, so text goes out as one
//! keysym per character. Key names are the same vocabulary as the wlroots path
//! (`latchkey-wayland`): X keysym names (`a`, `Return`, `Shift_L`, `F5`,
//! `exclam`), a single printable ASCII character naming its key, and letters
//! naming their key whatever their case (hold `Shift_L` for capitals).

/// Named keys and their keysyms (from `X11/keysymdef.h`).
const NAMED: &[(&str, u32)] = &[
    ("Return", 0xff0d),
    ("BackSpace", 0xff08),
    ("Tab", 0xff09),
    ("Escape", 0xff1b),
    ("Delete", 0xffff),
    ("Insert", 0xff63),
    ("Home", 0xff50),
    ("End", 0xff57),
    ("Page_Up", 0xff55),
    ("Page_Down", 0xff56),
    ("Left", 0xff51),
    ("Right", 0xff53),
    ("Up", 0xff52),
    ("Down", 0xff54),
    ("F1", 0xffbe),
    ("F2", 0xffbf),
    ("F3", 0xffc0),
    ("F4", 0xffc1),
    ("F5", 0xffc2),
    ("F6", 0xffc3),
    ("F7", 0xffc4),
    ("F8", 0xffc5),
    ("F9", 0xffc6),
    ("F10", 0xffc7),
    ("F11", 0xffc8),
    ("F12", 0xffc9),
    ("Menu", 0xff67),
    ("Print", 0xff61),
    ("Pause", 0xff13),
    ("Scroll_Lock", 0xff14),
    ("KP_Enter", 0xff8d),
    ("Shift_L", 0xffe1),
    ("Shift_R", 0xffe2),
    ("Control_L", 0xffe3),
    ("Control_R", 0xffe4),
    ("Alt_L", 0xffe9),
    ("Alt_R", 0xffea),
    ("Super_L", 0xffeb),
    ("Super_R", 0xffec),
    ("Caps_Lock", 0xffe5),
    ("Num_Lock", 0xff7f),
];

/// The X keysym names of printable ASCII characters other than letters and
/// digits (their keysym is their code point).
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

/// Keysyms of keys that change what other keys do (released last, for a
/// clean state, and used to tell whether Shift is held).
pub(crate) const SHIFT_KEYSYMS: [u32; 2] = [0xffe1, 0xffe2];

/// Every key name [`crate::MutterSession::key`] accepts: X keysym names (`a`,
/// `Return`, `Shift_L`, `exclam`, ...); a single printable ASCII character also
/// names its key.
pub fn key_names() -> Vec<&'static str> {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut names: Vec<&'static str> = (0..LETTERS.len())
        .filter_map(|i| LETTERS.get(i..i + 1))
        .collect();
    names.extend(PUNCTUATION.iter().map(|(_, n)| *n));
    names.extend(NAMED.iter().map(|(n, _)| *n));
    names
}

/// The keysym of the key `name` names: a letter its lower-case key, a digit or
/// printable ASCII character its own, a keysym name (`Return`, `exclam`) its keysym.
pub fn keysym_for_name(name: &str) -> Option<u32> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_ascii_graphic() || c == ' ' {
            return Some(u32::from(c.to_ascii_lowercase()));
        }
        return None;
    }
    if let Some(&(c, _)) = PUNCTUATION.iter().find(|(_, n)| *n == name) {
        return Some(u32::from(c));
    }
    NAMED.iter().find(|(n, _)| *n == name).map(|&(_, k)| k)
}

/// The keysym that types `c`: Latin-1 characters are their own keysym, `\n`
/// is Return and `\t` Tab, any other character its Unicode keysym
/// (`0x01000000 + code point`). `None` for control characters.
pub fn keysym_for_char(c: char) -> Option<u32> {
    let cp = u32::from(c);
    match c {
        '\n' => Some(0xff0d),
        '\t' => Some(0xff09),
        _ if c.is_control() => None,
        _ if (0x20..=0x7e).contains(&cp) || (0xa0..=0xff).contains(&cp) => Some(cp),
        _ => Some(0x0100_0000 + cp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_keysyms() {
        assert_eq!(keysym_for_name("a"), Some(0x61));
        // Letters name their key whatever the case: Shift makes capitals.
        assert_eq!(keysym_for_name("A"), Some(0x61));
        assert_eq!(keysym_for_name("7"), Some(0x37));
        assert_eq!(keysym_for_name("!"), Some(0x21));
        assert_eq!(keysym_for_name("exclam"), Some(0x21));
        assert_eq!(keysym_for_name("space"), Some(0x20));
        assert_eq!(keysym_for_name("Return"), Some(0xff0d));
        assert_eq!(keysym_for_name("Shift_L"), Some(0xffe1));
        assert_eq!(keysym_for_name("F12"), Some(0xffc9));
        assert_eq!(keysym_for_name("Super_L"), Some(0xffeb));
        assert_eq!(keysym_for_name("NoSuchKey"), None);
        assert_eq!(keysym_for_name(""), None);
        assert_eq!(keysym_for_name("\u{7}"), None);
        assert_eq!(keysym_for_name("é"), None);
    }

    #[test]
    fn every_listed_name_has_a_keysym() {
        for name in key_names() {
            assert!(keysym_for_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn characters_map_to_keysyms() {
        assert_eq!(keysym_for_char('a'), Some(0x61));
        assert_eq!(keysym_for_char('A'), Some(0x41));
        assert_eq!(keysym_for_char('~'), Some(0x7e));
        assert_eq!(keysym_for_char('é'), Some(0xe9));
        assert_eq!(keysym_for_char('€'), Some(0x0100_20ac));
        assert_eq!(keysym_for_char('\n'), Some(0xff0d));
        assert_eq!(keysym_for_char('\t'), Some(0xff09));
        assert_eq!(keysym_for_char('\u{7}'), None);
        assert_eq!(keysym_for_char('\u{7f}'), None);
        assert_eq!(keysym_for_char('\u{85}'), None);
    }
}
