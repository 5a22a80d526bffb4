//! The registry's rules: names, permissions, limits, and messages that are
//! refused whole (too large, unknown type or field).

use super::*;
use crate::permission::PermissionSet;

#[test]
fn names_are_unique_and_found() {
    for (i, f) in REGISTRY.iter().enumerate() {
        assert!(
            REGISTRY[i + 1..].iter().all(|g| g.name != f.name),
            "{}",
            f.name
        );
        assert_eq!(by_name(f.name), Some(*f));
        assert!(f.max_message <= 16 * 1024, "{}", f.name);
    }
    // The handshake's channel is not a feature.
    assert_eq!(by_name("control"), None);
    assert_eq!(by_name(""), None);
}

#[test]
fn each_feature_needs_its_permission() {
    let none = PermissionSet::NONE;
    let only = |p: Permission| PermissionSet::from_iter([p]);
    assert!(!input::SPEC.allowed(none));
    assert!(input::SPEC.allowed(only(Permission::ControlInput)));
    assert!(!input::SPEC.allowed(only(Permission::ShowPointer)));
    assert!(!clipboard::SPEC.allowed(none));
    assert!(!clipboard::SPEC.allowed(only(Permission::ClipboardFiles)));
    assert!(clipboard::SPEC.allowed(only(Permission::Clipboard)));
    assert!(!pointer::SPEC.allowed(none));
    assert!(pointer::SPEC.allowed(only(Permission::ControlInput)));
    assert!(pointer::SPEC.allowed(only(Permission::ShowPointer)));
    assert!(displays::SPEC.allowed(none));
    assert_eq!(input::SPEC.permission(), Some(Permission::ControlInput));
    assert_eq!(pointer::SPEC.permission(), Some(Permission::ControlInput));
    assert_eq!(clipboard::SPEC.permission(), Some(Permission::Clipboard));
    assert_eq!(displays::SPEC.permission(), None);
    assert_eq!(pointer::SPEC.channel, ChannelKind::Unordered);
    assert_eq!(clipboard::SPEC.channel, ChannelKind::ReliableOrdered);
}

#[test]
fn messages_parse_in_their_typed_form() {
    let m: clipboard::FromViewer =
        parse(&clipboard::SPEC, br#"{"type":"clipboard_set","text":"hi"}"#).expect("set");
    assert_eq!(
        m,
        clipboard::FromViewer::ClipboardSet {
            text: "hi".into(),
            more: false
        }
    );
    let p: pointer::FromViewer =
        parse(&pointer::SPEC, br#"{"seq":3,"x":-1,"y":7}"#).expect("pointer");
    assert_eq!((p.seq, p.x, p.y), (3, -1, 7));
    let s: input::FromViewer<serde_json::Value> = parse(
        &input::SPEC,
        br#"{"type":"sync","id":9,"pointer_seq":null}"#,
    )
    .expect("sync");
    assert_eq!(
        s,
        input::FromViewer::Sync {
            id: 9,
            pointer_seq: None
        }
    );
    let d: displays::FromViewer =
        parse(&displays::SPEC, br#"{"type":"switch_display","id":2}"#).expect("switch");
    assert_eq!(d, displays::FromViewer::SwitchDisplay { id: 2 });
}

#[test]
fn unknown_fields_and_types_are_refused() {
    let malformed = |f: &FeatureSpec| WireError::Malformed { feature: f.name };
    assert_eq!(
        parse::<clipboard::FromViewer>(&clipboard::SPEC, br#"{"type":"clipboard_get","extra":1}"#),
        Err(malformed(&clipboard::SPEC))
    );
    assert_eq!(
        parse::<clipboard::FromViewer>(&clipboard::SPEC, br#"{"type":"clipboard_files"}"#),
        Err(malformed(&clipboard::SPEC))
    );
    assert_eq!(
        parse::<pointer::FromViewer>(&pointer::SPEC, br#"{"seq":1,"x":1,"y":2,"z":3}"#),
        Err(malformed(&pointer::SPEC))
    );
    assert_eq!(
        parse::<input::FromViewer<serde_json::Value>>(
            &input::SPEC,
            br#"{"type":"sync","id":1,"pointer_seq":null,"more":true}"#
        ),
        Err(malformed(&input::SPEC))
    );
    assert_eq!(
        parse::<displays::FromViewer>(&displays::SPEC, b"\xff\xfe"),
        Err(malformed(&displays::SPEC))
    );
    // Nothing comes out of the feature that sends nothing.
    assert!(parse::<pointer::FromHost>(&pointer::SPEC, b"{}").is_err());
}

#[test]
fn oversized_messages_are_refused_before_parsing() {
    let mut big = br#"{"type":"clipboard_set","text":""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', clipboard::SPEC.max_message));
    big.extend(br#""}"#);
    assert_eq!(
        parse::<clipboard::FromViewer>(&clipboard::SPEC, &big),
        Err(WireError::TooLarge {
            feature: "clipboard",
            len: big.len(),
            limit: clipboard::SPEC.max_message
        })
    );
}

#[test]
fn text_pieces_cut_on_character_boundaries_and_rejoin() {
    let text = "é".repeat(PIECE); // 2 bytes each: 2 * PIECE bytes
    let chunks = text_pieces(&text);
    assert!(chunks.len() >= 2);
    assert!(chunks.iter().all(|c| c.len() <= PIECE));
    assert_eq!(chunks.concat(), text);
    assert_eq!(text_pieces(""), vec![""]);
    assert_eq!(text_pieces("abc"), vec!["abc"]);
}

#[test]
fn every_chunk_fits_in_a_message_however_escaped() {
    for text in [
        "x".repeat(3 * PIECE),
        "\u{1}".repeat(PIECE),
        "\"\\".repeat(PIECE),
        "€😀".repeat(PIECE / 2),
    ] {
        let chunks = text_pieces(&text);
        assert_eq!(chunks.concat(), text);
        for chunk in chunks {
            let json = serde_json::to_vec(&clipboard::FromViewer::ClipboardSet {
                text: chunk.to_string(),
                more: true,
            })
            .expect("json");
            assert!(
                json.len() <= clipboard::SPEC.max_message,
                "{} bytes",
                json.len()
            );
            assert!(parse::<clipboard::FromViewer>(&clipboard::SPEC, &json).is_ok());
        }
    }
}

#[test]
fn variants_without_fields_refuse_extra_fields_too() {
    let get: clipboard::FromViewer =
        parse(&clipboard::SPEC, br#"{"type":"clipboard_get"}"#).expect("get");
    assert_eq!(get, clipboard::FromViewer::ClipboardGet {});
    assert_eq!(
        serde_json::to_string(&displays::FromViewer::ListDisplays {}).expect("json"),
        r#"{"type":"list_displays"}"#
    );
    assert!(
        parse::<displays::FromViewer>(&displays::SPEC, br#"{"type":"list_displays","x":1}"#)
            .is_err()
    );
}
