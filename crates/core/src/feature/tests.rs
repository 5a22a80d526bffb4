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
fn chunks_cut_on_character_boundaries_and_rejoin() {
    let text = "é".repeat(clipboard::CHUNK); // 2 bytes each: 2 * CHUNK bytes
    let chunks = clipboard::chunks(&text);
    assert!(chunks.len() >= 2);
    assert!(chunks.iter().all(|c| c.len() <= clipboard::CHUNK));
    assert_eq!(chunks.concat(), text);
    assert_eq!(clipboard::chunks(""), vec![""]);
    assert_eq!(clipboard::chunks("abc"), vec!["abc"]);
}

#[test]
fn every_chunk_fits_in_a_message_however_escaped() {
    for text in [
        "x".repeat(3 * clipboard::CHUNK),
        "\u{1}".repeat(clipboard::CHUNK),
        "\"\\".repeat(clipboard::CHUNK),
        "€😀".repeat(clipboard::CHUNK / 2),
    ] {
        let chunks = clipboard::chunks(&text);
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

/// The file manager's path rules, resume rule and message limits.
mod files_rules {
    use super::super::files::*;
    use super::super::{parse, MAX_MESSAGE};
    use sha2::{Digest, Sha256};

    #[test]
    fn host_paths_start_at_home_or_root_and_never_climb() {
        let home = |parts: &[&str]| HostPath {
            base: Base::Home,
            parts: parts.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(HostPath::parse(""), Ok(home(&[])));
        assert_eq!(HostPath::parse("~"), Ok(home(&[])));
        assert_eq!(HostPath::parse("~/a//b/./c/"), Ok(home(&["a", "b", "c"])));
        assert_eq!(HostPath::parse("a/b"), Ok(home(&["a", "b"])));
        let root = HostPath::parse("/tmp/x").expect("root");
        assert_eq!(root.base, Base::Root);
        assert_eq!(root.to_wire(), "/tmp/x");
        assert_eq!(home(&["a", "b"]).to_wire(), "~/a/b");
        assert_eq!(home(&[]).to_wire(), "~");
        assert!(matches!(
            HostPath::parse("a/../b"),
            Err(PathError::DotDot(_))
        ));
        assert!(matches!(HostPath::parse(".."), Err(PathError::DotDot(_))));
        assert_eq!(HostPath::parse("a\nb"), Err(PathError::Control));
        assert_eq!(HostPath::parse("a\0b"), Err(PathError::Control));
        assert!(matches!(
            HostPath::parse("~bob/x"),
            Err(PathError::OtherHome(_))
        ));
        assert_eq!(
            HostPath::parse(&"a".repeat(MAX_PATH + 1)),
            Err(PathError::TooLong)
        );
        // A name with dots that is not `..` is a name.
        assert_eq!(HostPath::parse("..a/b.."), Ok(home(&["..a", "b.."])));
        assert!(home(&[]).join("..").is_err());
        assert!(home(&[]).join("a/b").is_err());
        assert!(home(&[]).join("").is_err());
        assert_eq!(home(&[]).join("x").expect("join"), home(&["x"]));
    }

    #[test]
    fn a_colon_before_any_slash_names_a_host() {
        assert_eq!(
            Location::parse("123456789:~/x"),
            Location::Remote {
                id: "123456789".into(),
                path: "~/x".into()
            }
        );
        assert_eq!(
            Location::parse("123 456 789:"),
            Location::Remote {
                id: "123 456 789".into(),
                path: "".into()
            }
        );
        assert_eq!(Location::parse("./a:b"), Location::Local("./a:b".into()));
        assert_eq!(Location::parse("/x/a:b"), Location::Local("/x/a:b".into()));
        assert_eq!(Location::parse("plain"), Location::Local("plain".into()));
        assert_eq!(Location::parse(":x"), Location::Local(":x".into()));
    }

    #[test]
    fn a_partial_copy_is_kept_only_if_its_prefix_matches() {
        let mut a = Sha256::new();
        a.update(b"hello");
        let h = sha256_hex(&a);
        assert_eq!(resume_offset(10, 5, &h, &h), 5);
        assert_eq!(resume_offset(10, 5, &h, &h.to_uppercase()), 5);
        assert_eq!(resume_offset(4, 5, &h, &h), 0, "longer than the file");
        let mut b = Sha256::new();
        b.update(b"hellx");
        assert_eq!(resume_offset(10, 5, &h, &sha256_hex(&b)), 0);
        assert_eq!(resume_offset(10, 0, &h, &h), 0);
        assert!(is_part_name(&part_name("f.txt")));
        assert!(!is_part_name("f.txt"));
    }

    #[test]
    fn a_full_chunk_fits_in_one_message_and_a_larger_one_is_refused() {
        let bytes = vec![0xffu8; CHUNK];
        let m = FromViewer::Data {
            id: u64::MAX,
            offset: u64::MAX,
            data: encode_chunk(&bytes),
        };
        let json = serde_json::to_vec(&m).expect("json");
        assert!(json.len() <= MAX_MESSAGE, "{}", json.len());
        let back: FromViewer = parse(&SPEC, &json).expect("parse");
        assert_eq!(back, m);
        let FromViewer::Data { data, .. } = back else {
            panic!("data")
        };
        assert_eq!(decode_chunk(&data), Some(bytes));
        assert_eq!(decode_chunk(&encode_chunk(&[0; CHUNK + 1])), None);
        assert_eq!(decode_chunk("not base64!"), None);
        // Unknown fields and types are refused.
        assert!(parse::<FromViewer>(&SPEC, br#"{"type":"list","id":1,"path":"~","x":1}"#).is_err());
        assert!(parse::<FromViewer>(&SPEC, br#"{"type":"chmod","id":1}"#).is_err());
        assert!(parse::<FromHost>(&SPEC, br#"{"type":"done","id":1,"extra":0}"#).is_err());
        let entry = |target: usize| Entry {
            name: "\u{1}".repeat(255),
            kind: Kind::Symlink,
            size: u64::MAX,
            mode: 0o7777,
            mtime: i64::MIN,
            target: Some("\u{2}".repeat(target)),
            valid_name: false,
        };
        let mut all = vec![entry(40); 100];
        all.push(entry(MAX_PATH));
        let pieces = pack_entries(all);
        assert!(pieces.len() > 1);
        assert_eq!(pieces.iter().map(Vec::len).sum::<usize>(), 101);
        let last = pieces.last().and_then(|p| p.last());
        assert_eq!(last.map(|e| e.target.is_none()), Some(true));
        for entries in pieces {
            let listing = FromHost::Entries {
                id: u64::MAX,
                entries,
                more: true,
            };
            let json = serde_json::to_vec(&listing).expect("json");
            assert!(json.len() <= MAX_MESSAGE, "{}", json.len());
            assert_eq!(listing.id(), u64::MAX);
        }
        assert_eq!(pack_entries(vec![]), vec![Vec::<Entry>::new()]);
        assert_eq!(m.id(), u64::MAX);
    }
}
