//! The policy on a table of weak and strong passwords.

use super::*;

const WEAK: &[&str] = &[
    "",
    "short",
    "Ab1!xyz",
    "password",
    "Password1",
    "P@ssw0rd!",
    "passw0rd",
    "qwertyuiop",
    "QWERTYUIOP",
    "asdfghjkl",
    "iloveyou",
    "iloveyou2",
    "letmein!",
    "aaaaaaaa",
    "AAAAAAAAAAAAAAAA",
    "abababab",
    "abcabcabc",
    "12121212",
    "12345678",
    "123456789",
    "87654321",
    "abcdefgh",
    "ABCDEFGHIJ",
    "zyxwvuts",
    "11112222",
    "latchkey",
    "Latchkey2024",
    "teamviewer1",
    "trustno1",
    "monkey123",
    "football!",
    "welcome1",
    "admin123",
    "1qaz2wsx",
    "qwerty123",
];

const STRONG: &[&str] = &[
    "correct horse battery staple",
    "Tr0ub4dor&3-mango",
    "vG7#pL2q!zR9",
    "kettle-orbit-cactus-71",
    "My cat eats 3 sardines at noon",
    "xN4$wQ8&bY1@",
    "purple.Giraffe.dances.9",
    "Zm9vYmFyYmF6cXV4",
    "Sunflower-Nebula-4412",
    "gR8!ter_Lakes_2031",
    "c8Jq-Wm2v-Hx7p-Ta4n",
    "unlikely walrus umbrella",
];

#[test]
fn weak_passwords_are_refused() {
    for pw in WEAK {
        let s = evaluate(pw, &["default"]);
        assert!(!s.acceptable, "{pw:?} was accepted: {s:?}");
        assert!(s.score <= 1, "{pw:?} scored {}", s.score);
        assert!(!s.refusals.is_empty(), "{pw:?}");
        assert!(s.warnings.starts_with(&s.refusals), "{pw:?}");
    }
}

#[test]
fn strong_passwords_are_accepted() {
    for pw in STRONG {
        let s = evaluate(pw, &["default"]);
        assert!(s.acceptable, "{pw:?} was refused: {s:?}");
        assert!(s.score >= MIN_SCORE, "{pw:?}");
        assert!(s.refusals.is_empty());
    }
}

#[test]
fn table_has_enough_rows() {
    assert!(WEAK.len() + STRONG.len() >= 30);
}

#[test]
fn specific_reasons() {
    assert!(evaluate("abc", &[])
        .refusals
        .iter()
        .any(|r| r.contains("at least 8")));
    assert!(evaluate(&"xY7!".repeat(70), &[])
        .refusals
        .iter()
        .any(|r| r.contains("at most 256")));
    assert!(evaluate("aaaaaaaa", &[])
        .refusals
        .iter()
        .any(|r| r.contains("repeats \"a\"")));
    assert!(evaluate("12345678", &[])
        .refusals
        .iter()
        .any(|r| r.contains("sequence")));
    assert!(evaluate("qwertyuiop", &[])
        .refusals
        .iter()
        .any(|r| r.contains("keyboard")));
    assert!(evaluate("Password1", &[])
        .refusals
        .iter()
        .any(|r| r.contains("common")));
    assert!(evaluate("tab\there-Xy9!zz", &[])
        .refusals
        .iter()
        .any(|r| r.contains("control")));
    // The context (profile name, device ID) counts as a common word.
    assert!(!evaluate("helpdesk2024!", &["helpdesk"]).acceptable);
}

#[test]
fn warnings_for_accepted_but_weakish() {
    let s = evaluate("vG7#pL2q!z", &[]);
    assert!(s.acceptable, "{s:?}");
    assert!(s.warnings.iter().any(|w| w.contains("12 or more")));
    let s = evaluate("unlikely walrus umbrella", &[]);
    assert!(s.acceptable);
    assert!(!s.warnings.iter().any(|w| w.contains("12 or more")));
    let s = evaluate("zqmvkrtbplxw", &[]);
    assert!(s.warnings.iter().any(|w| w.contains("mix upper")), "{s:?}");
}

#[test]
fn score_stays_in_range_for_odd_input() {
    for pw in [
        "\u{0}",
        "🔑🔑🔑🔑🔑🔑🔑🔑",
        "日本語のパスワードです",
        &"a".repeat(10_000),
    ] {
        let s = evaluate(pw, &[]);
        assert!(s.score <= 4);
    }
}
