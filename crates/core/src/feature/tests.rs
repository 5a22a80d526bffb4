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

mod tunnel_feature {
    use super::super::tunnel::*;
    use super::super::{parse, WireError};
    use crate::permission::{Permission, PermissionSet};

    fn spec(s: &str) -> TunnelSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn needs_tcp_tunnel_on_a_reliable_channel() {
        assert_eq!(SPEC.name, "tcp_tunnel");
        assert!(!SPEC.allowed(PermissionSet::NONE));
        assert!(SPEC.allowed(PermissionSet::from_iter([Permission::TcpTunnel])));
        assert_eq!(SPEC.permission(), Some(Permission::TcpTunnel));
        assert_eq!(SPEC.channel, super::ChannelKind::ReliableOrdered);
    }

    #[test]
    fn specs_read_like_ssh() {
        let s = spec("8080:localhost:80");
        assert_eq!(
            (s.bind.as_str(), s.port, s.dest.as_str(), s.dest_port),
            ("127.0.0.1", 8080, "localhost", 80)
        );
        let s = spec("0.0.0.0:0:10.1.2.3:22");
        assert_eq!((s.bind.as_str(), s.port), ("0.0.0.0", 0));
        let s = spec("[::1]:9000:[fd00::1]:443");
        assert_eq!(
            (s.bind.as_str(), s.port, s.dest.as_str(), s.dest_port),
            ("::1", 9000, "fd00::1", 443)
        );
        assert_eq!(spec("*:1:h:2").bind, "0.0.0.0");
        assert_eq!(spec(":1:h:2").bind, "0.0.0.0");
        assert_eq!(host_port("::1", 80), "[::1]:80");
        assert_eq!(host_port("a.b", 80), "a.b:80");
        for bad in [
            "",
            "80",
            "80:host",
            "a:b:c:d:e",
            "x:h:80",
            "80:h:0",
            "80:h:65536",
            "70000:h:80",
            "80:bad host:80",
            "80:[::1:80",
            "80::80",
            "[::1:80:h:1",
        ] {
            assert!(bad.parse::<TunnelSpec>().is_err(), "accepted '{bad}'");
        }
    }

    fn ip(s: &str) -> Option<std::net::IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn destinations_default_to_any_and_match_names_addresses_and_blocks() {
        assert!(Destinations::default().allows("anything", None, 1));
        let d = Destinations::parse_list(
            "127.0.0.1:8000,localhost:*,10.0.0.0/8:22,*.example.org:443,[::1]:7000-7002,db",
        )
        .expect("list");
        assert!(d.allows("127.0.0.1", None, 8000));
        assert!(!d.allows("127.0.0.1", None, 8001));
        // A name resolving to an allowed address is allowed by the address.
        assert!(d.allows("some-name", ip("127.0.0.1"), 8000));
        assert!(d.allows("LOCALHOST", ip("127.0.0.1"), 5));
        assert!(d.allows("10.200.3.4", None, 22));
        assert!(!d.allows("11.0.0.1", None, 22));
        assert!(d.allows("a.example.org", ip("192.0.2.1"), 443));
        assert!(d.allows("x.y.example.org", None, 443));
        assert!(!d.allows("example.org", None, 443));
        assert!(!d.allows("badexample.org", None, 443));
        assert!(d.allows("::1", None, 7001));
        assert!(d.allows("[::1]", None, 7002));
        assert!(!d.allows("::1", None, 7003));
        assert!(d.allows("db", None, 5432));
        // IPv4-mapped IPv6 is its IPv4 address.
        assert!(d.allows("x", ip("::ffff:10.0.0.1"), 22));
        // Before resolving: a name pattern decides, an address pattern waits.
        assert!(d.may_allow("db", 1));
        assert!(d.may_allow("unknown-name", 22));
        assert!(!d.may_allow("unknown-name", 23));
        assert!(!d.may_allow("12.0.0.1", 22));
        let none = Destinations::parse_list("none").expect("none");
        assert!(!none.allows("127.0.0.1", None, 80));
        assert_eq!(none.to_list(), "none");
        for bad in [
            "300.1.1.1/8:1",
            "10.0.0.0/33",
            "h:0",
            "h:9-3",
            "bad host",
            "[::1",
            "h:x",
        ] {
            assert!(Destinations::parse_list(bad).is_err(), "accepted '{bad}'");
        }
    }

    #[test]
    fn destinations_round_trip_as_any_or_a_list() {
        let d = Destinations::parse_list("127.0.0.1:8000,localhost,10.0.0.0/8:20-22,[::1]:1")
            .expect("list");
        assert_eq!(
            d.to_list(),
            "127.0.0.1:8000,localhost:*,10.0.0.0/8:20-22,[::1]:1"
        );
        let json = serde_json::to_string(&d).expect("json");
        assert_eq!(
            json,
            r#"["127.0.0.1:8000","localhost:*","10.0.0.0/8:20-22","[::1]:1"]"#
        );
        assert_eq!(
            serde_json::from_str::<Destinations>(&json).expect("back"),
            d
        );
        assert_eq!(
            serde_json::to_string(&Destinations::Any).expect("any"),
            r#""any""#
        );
        assert_eq!(
            serde_json::from_str::<Destinations>(r#""any""#).expect("any"),
            Destinations::Any
        );
        assert!(serde_json::from_str::<Destinations>(r#""all""#).is_err());
        assert!(serde_json::from_str::<Destinations>(r#"["h:0"]"#).is_err());
    }

    #[test]
    fn messages_are_typed_and_bounded() {
        let m: FromViewer = parse(
            &SPEC,
            br#"{"type":"connect","stream":2,"host":"h","port":80,"window":10}"#,
        )
        .expect("connect");
        assert_eq!(
            m,
            FromViewer::Connect {
                stream: 2,
                host: "h".into(),
                port: 80,
                window: 10
            }
        );
        let data = FromHost::Data {
            stream: 3,
            data: Payload(vec![7u8; CHUNK]),
        };
        let bytes = serde_json::to_vec(&data).expect("json");
        assert!(bytes.len() <= SPEC.max_message, "{}", bytes.len());
        assert_eq!(parse::<FromHost>(&SPEC, &bytes).expect("back"), data);
        // Over the chunk size, bad base64, unknown fields: refused.
        let big = format!(
            r#"{{"type":"data","stream":1,"data":"{}"}}"#,
            "A".repeat((CHUNK + 4) / 3 * 4 + 4)
        );
        assert!(parse::<FromViewer>(&SPEC, big.as_bytes()).is_err());
        assert!(parse::<FromViewer>(&SPEC, br#"{"type":"data","stream":1,"data":"!!"}"#).is_err());
        assert!(matches!(
            parse::<FromViewer>(&SPEC, br#"{"type":"eof","stream":1,"x":1}"#),
            Err(WireError::Malformed { .. })
        ));
        assert!(parse::<FromViewer>(&SPEC, br#"{"type":"reset","stream":-1}"#).is_err());
    }

    #[test]
    fn bytes_travel_as_binary_frames_within_the_limit() {
        let frame = data_frame(0x0102_0304, &[9; FRAME_CHUNK]);
        assert_eq!(frame.len(), SPEC.max_message);
        assert_eq!(&frame[..5], &[FRAME_DATA, 1, 2, 3, 4]);
        assert_eq!(
            from_viewer(&frame).expect("frame"),
            FromViewer::Data {
                stream: 0x0102_0304,
                data: Payload(vec![9; FRAME_CHUNK])
            }
        );
        assert_eq!(
            from_host(&data_frame(7, b"")).expect("empty"),
            FromHost::Data {
                stream: 7,
                data: Payload(vec![])
            }
        );
        // Too long, too short, or not a frame: refused; JSON still reads.
        assert!(matches!(
            from_viewer(&data_frame(1, &[0; FRAME_CHUNK + 1])),
            Err(WireError::TooLarge { .. })
        ));
        assert!(from_host(&[FRAME_DATA, 0, 0]).is_err());
        assert!(from_host(&[1, 0, 0, 0, 0, 5]).is_err());
        assert_eq!(
            from_host(br#"{"type":"eof","stream":4}"#).expect("json"),
            FromHost::Eof { stream: 4 }
        );
    }
}
