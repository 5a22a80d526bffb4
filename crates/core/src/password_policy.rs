//! The password policy for unattended access: what is refused, what is merely
//! warned about, and a 0..4 strength score for the UI's meter.
//!
//! A password is refused when it is shorter than 8 characters, longer than 256,
//! holds control characters, repeats a short pattern ("aaaaaaaa", "abababab"),
//! runs along the alphabet, the digits or a keyboard row ("12345678", "abcdefgh",
//! "qwertyuiop"), uses fewer than 5 different characters, is a common password
//! or a light disguise of one ("Password1", "P@ssw0rd!"), or scores below 2 with
//! `zxcvbn`. An accepted password still gets warnings when it is under 12
//! characters or uses a single character class.

use serde::{Deserialize, Serialize};

/// Shortest acceptable password, in characters.
pub const MIN_LEN: usize = 8;
/// Longest acceptable password, in characters.
pub const MAX_LEN: usize = 256;
/// Length below which an accepted password gets a warning.
pub const RECOMMENDED_LEN: usize = 12;
/// Lowest zxcvbn score that is accepted.
pub const MIN_SCORE: u8 = 2;
/// zxcvbn's cost grows with length; it judges at most this prefix.
const ZXCVBN_PREFIX: usize = 64;

/// Passwords common enough to refuse by name, after undoing case, digits and
/// symbols at the ends, and leetspeak. zxcvbn knows far more; this list makes the
/// most obvious ones (and this product's own names) fail whatever zxcvbn says.
const COMMON_WORDS: &[&str] = &[
    "password",
    "passwort",
    "passw0rd",
    "qwerty",
    "qwertz",
    "azerty",
    "iloveyou",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "master",
    "sunshine",
    "princess",
    "shadow",
    "trustno1",
    "abc123",
    "login",
    "starwars",
    "whatever",
    "superman",
    "batman",
    "changeme",
    "secret",
    "default",
    "remote",
    "desktop",
    "unattended",
    "latchkey",
    "anydesk",
    "teamviewer",
    "rustdesk",
    "computer",
    "internet",
    "access",
];

const KEYBOARD_ROWS: &[&str] = &[
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiop",
    "asdfghjkl",
    "yxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
];

/// The verdict on a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Strength {
    /// 0 (trivially guessed) to 4 (very strong). Capped at 1 when a rule refuses it.
    pub score: u8,
    /// Whether the policy accepts it.
    pub acceptable: bool,
    /// Everything the person should read: the refusal reasons first, then advice.
    pub warnings: Vec<String>,
    /// Only the reasons it was refused (empty when acceptable).
    pub refusals: Vec<String>,
}

/// Judge `password`. `context` lists words that must not make up the password
/// (for instance the profile name or device ID).
pub fn evaluate(password: &str, context: &[&str]) -> Strength {
    let chars: Vec<char> = password.chars().collect();
    let mut refusals = Vec::new();
    let mut advice = Vec::new();

    if chars.len() < MIN_LEN {
        refusals.push(format!("use at least {MIN_LEN} characters"));
    }
    if chars.len() > MAX_LEN {
        refusals.push(format!("use at most {MAX_LEN} characters"));
    }
    if chars.iter().any(|c| c.is_control()) {
        refusals.push("do not use control characters (tabs, newlines...)".to_string());
    }
    if !chars.is_empty() {
        if let Some(unit) = short_repeated_unit(&chars) {
            refusals.push(format!("it only repeats \"{unit}\""));
        } else if is_sequence(&chars) {
            refusals.push("it is a sequence (like 12345678 or abcdefgh)".to_string());
        } else if is_keyboard_walk(password) {
            refusals.push("it is a row of keys on the keyboard".to_string());
        } else if distinct(&chars) < 5 {
            refusals.push("use at least 5 different characters".to_string());
        }
        if let Some(word) = common_word(password, context) {
            refusals.push(format!(
                "it is a common password or a variation of \"{word}\""
            ));
        }
    }

    let judged: String = chars.iter().take(ZXCVBN_PREFIX).collect();
    let context_inputs: Vec<&str> = context.iter().copied().chain(["latchkey"]).collect();
    let entropy = zxcvbn::zxcvbn(&judged, &context_inputs);
    let mut score = entropy.score() as u8;
    if !judged.is_empty() && score < MIN_SCORE {
        let mut reason = "it is too easy to guess".to_string();
        if let Some(fb) = entropy.feedback() {
            if let Some(w) = fb.warning() {
                reason = format!("it is too easy to guess: {w}");
            }
            advice.extend(fb.suggestions().iter().map(|s| s.to_string()));
        }
        if refusals.is_empty() || !refusals.iter().any(|r| r.starts_with("it is a common")) {
            refusals.push(reason);
        }
    }

    if chars.len() >= MIN_LEN && chars.len() < RECOMMENDED_LEN {
        advice.push(format!(
            "{RECOMMENDED_LEN} or more characters are recommended"
        ));
    }
    if !chars.is_empty() && character_classes(&chars) == 1 {
        advice.push("mix upper and lower case letters, digits and symbols".to_string());
    }

    let acceptable = refusals.is_empty();
    if !acceptable {
        score = score.min(1);
    }
    let mut warnings = refusals.clone();
    warnings.extend(advice);
    warnings.dedup();
    Strength {
        score,
        acceptable,
        warnings,
        refusals,
    }
}

fn distinct(chars: &[char]) -> usize {
    let mut seen: Vec<char> = chars.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// The unit when the whole password is one short unit (under 8 characters) repeated.
fn short_repeated_unit(chars: &[char]) -> Option<String> {
    let n = chars.len();
    (1..=n / 2)
        .filter(|p| *p < 8)
        .find(|&p| (p..n).all(|i| chars[i] == chars[i - p]))
        .map(|p| chars[..p].iter().collect())
}

/// A run with a constant step of +1 or -1 (per character code), case-insensitive.
fn is_sequence(chars: &[char]) -> bool {
    if chars.len() < 3 {
        return false;
    }
    let codes: Vec<i64> = chars
        .iter()
        .map(|c| c.to_ascii_lowercase() as i64)
        .collect();
    let step = codes[1] - codes[0];
    (step == 1 || step == -1) && codes.windows(2).all(|w| w[1] - w[0] == step)
}

/// The password (case-insensitive) lies along one keyboard row, either way.
fn is_keyboard_walk(password: &str) -> bool {
    let lower = password.to_lowercase();
    if lower.chars().count() < 4 {
        return false;
    }
    let reversed: String = lower.chars().rev().collect();
    KEYBOARD_ROWS
        .iter()
        .any(|row| row.contains(lower.as_str()) || row.contains(reversed.as_str()))
}

/// Undo the usual disguises and look for a common word (or a context word)
/// making up the whole password.
fn common_word(password: &str, context: &[&str]) -> Option<String> {
    let unleet: String = password
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '3' => 'e',
            '1' | '!' | '|' => 'i',
            '0' => 'o',
            '$' | '5' => 's',
            '7' => 't',
            c => c,
        })
        .collect();
    let plain: String = password.to_lowercase();
    let strip = |s: &str| -> String { s.trim_matches(|c: char| !c.is_alphabetic()).to_string() };
    let candidates = [plain.clone(), strip(&plain), unleet.clone(), strip(&unleet)];
    let context_lower: Vec<String> = context
        .iter()
        .map(|w| w.to_lowercase())
        .filter(|w| w.len() >= 3)
        .collect();
    for word in COMMON_WORDS
        .iter()
        .map(|w| w.to_string())
        .chain(context_lower)
    {
        for c in &candidates {
            let rest = c.replace(word.as_str(), "");
            // The word, repeated or padded with a few digits/symbols, is all there is.
            if c.contains(word.as_str())
                && rest.chars().filter(|ch| ch.is_alphabetic()).count() == 0
                && rest.len() <= 4
            {
                return Some(word);
            }
        }
    }
    None
}

fn character_classes(chars: &[char]) -> usize {
    let lower = chars.iter().any(|c| c.is_lowercase());
    let upper = chars.iter().any(|c| c.is_uppercase());
    let digit = chars.iter().any(|c| c.is_ascii_digit());
    let other = chars.iter().any(|c| !c.is_alphanumeric());
    [lower, upper, digit, other]
        .into_iter()
        .filter(|b| *b)
        .count()
}

#[cfg(test)]
mod tests;
