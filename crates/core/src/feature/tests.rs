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

fn sample_info() -> system_info::SystemInfo {
    use system_info::*;
    SystemInfo {
        os: Os {
            name: "Debian GNU/Linux".into(),
            version: "12".into(),
            pretty: "Debian GNU/Linux 12 (bookworm)".into(),
            arch: "x86_64".into(),
        },
        kernel: "6.1.0-13-amd64".into(),
        hostname: "desk \"quoted\"".into(),
        cpu: Cpu {
            model: "A CPU".into(),
            logical_cores: 8,
            physical_cores: Some(4),
            load: [0.5, 0.25, 0.125],
        },
        memory: Memory {
            total: 16 << 30,
            available: 8 << 30,
            swap_total: 0,
            swap_free: 0,
        },
        disks: (0..300)
            .map(|i| Disk {
                mount: format!("/mnt/disk-\u{e9}{i}"),
                filesystem: "ext4".into(),
                total: 1 << 40,
                free: 1 << 39,
            })
            .collect(),
        displays: vec![Display {
            name: "screen".into(),
            width: 1280,
            height: 800,
            x: 0,
            y: 0,
            primary: true,
        }],
        uptime_secs: 3600,
        interfaces: vec![Interface {
            name: "lo".into(),
            mac: "00:00:00:00:00:00".into(),
            addresses: vec!["127.0.0.1/8".into(), "::1/128".into()],
        }],
        users: vec![],
        latchkey_version: "0.1.0".into(),
    }
}

#[test]
fn system_info_needs_its_permission() {
    assert!(!system_info::SPEC.allowed(PermissionSet::NONE));
    assert!(system_info::SPEC.allowed(PermissionSet::from_iter([Permission::SystemInfo])));
    assert_eq!(system_info::SPEC.permission(), Some(Permission::SystemInfo));
}

#[test]
fn a_large_system_report_travels_in_pieces_that_each_fit_a_message() {
    let info = sample_info();
    let pieces = system_info::report_pieces(&info).expect("pieces");
    assert!(pieces.len() > 1, "300 disks take several messages");
    let mut assembly = system_info::Assembly::default();
    for (i, piece) in pieces.iter().enumerate() {
        let json = serde_json::to_vec(&system_info::FromHost::Report {
            id: 7,
            text: piece.clone(),
            more: i + 1 < pieces.len(),
        })
        .expect("json");
        assert!(json.len() <= system_info::SPEC.max_message);
        let system_info::FromHost::Report { text, .. } =
            parse(&system_info::SPEC, &json).expect("parse")
        else {
            panic!("not a report");
        };
        assembly.push(&text).expect("within the limit");
    }
    assert_eq!(assembly.finish().expect("report"), info);
}

#[test]
fn a_system_report_over_the_limit_or_malformed_is_refused() {
    let mut assembly = system_info::Assembly::default();
    let piece = "x".repeat(PIECE);
    let mut refused = None;
    for _ in 0..(system_info::MAX_REPORT / PIECE + 2) {
        if let Err(e) = assembly.push(&piece) {
            refused = Some(e);
            break;
        }
    }
    assert_eq!(refused, Some(system_info::ReportError::TooLarge));
    let mut assembly = system_info::Assembly::default();
    assembly.push("{\"kernel\": 1}").expect("small");
    assert_eq!(assembly.finish(), Err(system_info::ReportError::Malformed));
    // An unknown field anywhere in the report is refused too.
    let mut json = serde_json::to_value(sample_info()).expect("json");
    json["memory"]["extra"] = 1.into();
    let mut assembly = system_info::Assembly::default();
    assembly.push(&json.to_string()).expect("small");
    assert_eq!(assembly.finish(), Err(system_info::ReportError::Malformed));
    let mut too_many = sample_info();
    too_many.disks = too_many.disks.into_iter().cycle().take(3000).collect();
    assert_eq!(
        system_info::report_pieces(&too_many),
        Err(system_info::ReportError::TooLarge)
    );
}

#[test]
fn utmp_user_processes_are_the_logged_in_users() {
    fn record(kind: i16, line: &str, user: &str, host: &str, since: u32) -> Vec<u8> {
        let mut r = vec![0u8; system_info::UTMP_RECORD];
        r[0..2].copy_from_slice(&kind.to_ne_bytes());
        r[8..8 + line.len()].copy_from_slice(line.as_bytes());
        r[44..44 + user.len()].copy_from_slice(user.as_bytes());
        r[76..76 + host.len()].copy_from_slice(host.as_bytes());
        r[340..344].copy_from_slice(&since.to_ne_bytes());
        r
    }
    let mut file = Vec::new();
    file.extend(record(2, "~", "reboot", "6.1.0", 100)); // BOOT_TIME
    file.extend(record(7, "tty2", "alice", "", 1_700_000_000));
    file.extend(record(8, "pts/0", "gone", "", 5)); // DEAD_PROCESS
                                                    // A full-width user name has no NUL: it is read to the field's end.
    file.extend(record(
        7,
        "pts/1",
        &"b".repeat(32),
        "192.0.2.1",
        1_700_000_100,
    ));
    file.extend(vec![7u8; 100]); // a short last record
    let users = system_info::parse_utmp(&file);
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].name, "alice");
    assert_eq!(users[0].line, "tty2");
    assert_eq!(users[0].host, "");
    assert_eq!(users[0].since, 1_700_000_000);
    assert_eq!(users[1].name, "b".repeat(32));
    assert_eq!(users[1].host, "192.0.2.1");
    assert!(system_info::parse_utmp(&[]).is_empty());
}

#[test]
fn os_release_names_the_os_quoted_or_not() {
    let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                # a comment\nVERSION_ID='12'\nID=debian\nnot a line\nHOME_URL=\n";
    let r = system_info::os_release(text);
    assert_eq!(r.name.as_deref(), Some("Debian GNU/Linux"));
    assert_eq!(r.version.as_deref(), Some("12"));
    assert_eq!(r.pretty.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(
        system_info::os_release(""),
        system_info::OsRelease::default()
    );
    assert_eq!(
        system_info::os_release("NAME=Arch\n").name.as_deref(),
        Some("Arch")
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
        // The limit holds for the wire form: a relative path of MAX_PATH
        // bytes would go on as `~/...`, two bytes more (a fuzzing finding).
        assert_eq!(
            HostPath::parse(&"a".repeat(MAX_PATH)),
            Err(PathError::TooLong)
        );
        let longest = HostPath::parse(&"a".repeat(MAX_PATH - 2)).expect("fits as ~/a...");
        assert_eq!(longest.to_wire().len(), MAX_PATH);
        assert_eq!(HostPath::parse(&longest.to_wire()), Ok(longest.clone()));
        assert_eq!(longest.join("b"), Err(PathError::TooLong));
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
        // The JSON form still reads, within the message limit.
        let m = FromViewer::Data {
            id: u64::MAX,
            offset: u64::MAX,
            data: Payload(vec![0xff; 8 * 1024]),
        };
        let json = serde_json::to_vec(&m).expect("json");
        assert!(json.len() <= MAX_MESSAGE, "{}", json.len());
        assert_eq!(parse::<FromViewer>(&SPEC, &json).expect("parse"), m);
        assert_eq!(from_viewer(&json).expect("either form"), m);
        let over = serde_json::to_vec(&FromViewer::Data {
            id: 1,
            offset: 0,
            data: Payload(vec![0; MAX_MESSAGE * 3 / 4]),
        })
        .expect("json");
        assert!(matches!(
            from_viewer(&over),
            Err(super::super::WireError::TooLarge { .. })
        ));
        assert!(
            parse::<FromViewer>(&SPEC, br#"{"type":"data","id":1,"offset":0,"data":"!"}"#).is_err()
        );
        // The binary form: the id and offset big-endian, FRAME_CHUNK bytes
        // fill the message; one more is over the limit; a short head is refused.
        let frame = data_frame(0x0102_0304_0506_0708, 9, &[7; FRAME_CHUNK]);
        assert_eq!(frame.len(), SPEC.max_message);
        assert_eq!(
            &frame[..17],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9]
        );
        assert_eq!(
            from_host(&frame).expect("frame"),
            FromHost::Data {
                id: 0x0102_0304_0506_0708,
                offset: 9,
                data: Payload(vec![7; FRAME_CHUNK])
            }
        );
        assert_eq!(
            from_viewer(&data_frame(3, 0, b"")).expect("empty"),
            FromViewer::Data {
                id: 3,
                offset: 0,
                data: Payload(vec![])
            }
        );
        assert!(matches!(
            from_viewer(&data_frame(1, 0, &[0; FRAME_CHUNK + 1])),
            Err(super::super::WireError::TooLarge { .. })
        ));
        assert!(from_host(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 0]).is_err());
        assert_eq!(
            from_host(br#"{"type":"done","id":4}"#).expect("json"),
            FromHost::Done { id: 4 }
        );
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
            data: Payload(vec![7u8; 8 * 1024]),
        };
        let bytes = serde_json::to_vec(&data).expect("json");
        assert!(bytes.len() <= SPEC.max_message, "{}", bytes.len());
        assert_eq!(parse::<FromHost>(&SPEC, &bytes).expect("back"), data);
        // Over the message size, bad base64, unknown fields: refused.
        let big = format!(
            r#"{{"type":"data","stream":1,"data":"{}"}}"#,
            "A".repeat(SPEC.max_message)
        );
        assert!(matches!(
            parse::<FromViewer>(&SPEC, big.as_bytes()),
            Err(WireError::TooLarge { .. })
        ));
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

mod clipboard_files_rules {
    use super::super::clipboard_files::*;
    use super::super::files::{self, HostPath};
    use crate::permission::{Permission, PermissionSet};

    fn hp(s: &str) -> HostPath {
        HostPath::parse(s).expect("path")
    }

    #[test]
    fn the_feature_needs_clipboard_files_and_opens_the_files_channel() {
        let only = |p: Permission| PermissionSet::from_iter([p]);
        assert!(SPEC.allowed(only(Permission::ClipboardFiles)));
        assert!(!SPEC.allowed(only(Permission::Clipboard)));
        assert!(!SPEC.allowed(only(Permission::FileManager)));
        assert!(files::SPEC.allowed(only(Permission::FileManager)));
        assert!(files::SPEC.allowed(only(Permission::ClipboardFiles)));
        assert!(!files::SPEC.allowed(only(Permission::Clipboard)));
        // A refusal on `files` names the file manager.
        assert_eq!(files::SPEC.permission(), Some(Permission::FileManager));
        assert_eq!(SPEC.permission(), Some(Permission::ClipboardFiles));
    }

    #[test]
    fn uri_lists_round_trip_with_percent_escapes() {
        let paths = vec![
            "/home/u/a file.txt".to_string(),
            "/home/u/100%#?[é].bin".to_string(),
            "/home/u/dir".to_string(),
        ];
        let list = encode_uri_list(&paths);
        assert_eq!(
            list,
            "file:///home/u/a%20file.txt\r\nfile:///home/u/100%25%23%3F%5B%C3%A9%5D.bin\r\n\
             file:///home/u/dir\r\n"
        );
        assert_eq!(decode_uri_list(&list), Ok(paths.clone()));
        let gnome = encode_gnome_copied_files(&paths);
        assert!(
            gnome.starts_with("copy\nfile:///home/u/a%20file.txt\n"),
            "{gnome}"
        );
        assert_eq!(decode_gnome_copied_files(&gnome), Ok(paths.clone()));
        assert_eq!(
            decode_gnome_copied_files("cut\nfile:///x/y"),
            Ok(vec!["/x/y".to_string()])
        );
        assert_eq!(decode_gnome_copied_files("copy"), Ok(vec![]));
    }

    #[test]
    fn uri_lists_are_read_as_other_programs_write_them() {
        // LF only, comments, localhost, file:/p, lower-case escapes, a trailing slash.
        let text = "# a comment\nfile://localhost/tmp/a%2fb\n\nfile:/tmp/c\nfile:///tmp/d%c3%a9/\n";
        assert_eq!(
            decode_uri_list(text),
            Ok(vec![
                "/tmp/a/b".to_string(),
                "/tmp/c".to_string(),
                "/tmp/dé".to_string()
            ])
        );
        assert_eq!(decode_uri_list(""), Ok(vec![]));
        assert!(matches!(
            decode_uri_list("http://example.invalid/x"),
            Err(UriError::NotLocal(_))
        ));
        assert!(matches!(
            decode_uri_list("file://server/share/x"),
            Err(UriError::NotLocal(_))
        ));
        for bad in [
            "file:///tmp/%zz",
            "file:///tmp/%4",
            "file:///tmp/%ff%fe",
            "file:///tmp/../etc/passwd",
            "file:///tmp/%2e%2e/etc",
            "file:///tmp/a%0Ab",
            "file://",
            "file:relative",
        ] {
            assert!(
                matches!(decode_uri_list(bad), Err(UriError::BadPath(_))),
                "{bad}"
            );
        }
        let many = "file:///x\n".repeat(MAX_FILES + 1);
        assert_eq!(decode_uri_list(&many), Err(UriError::TooMany));
    }

    #[test]
    fn only_named_paths_and_the_staging_folder_are_open() {
        let mut scope = Scope::default();
        assert_eq!(scope.allows(Reach::Read, &hp("/home/u/a.txt")), None);
        scope.set_roots(&["/home/u/a.txt".into(), "/home/u/tree".into()]);
        scope.set_staging("/home/u/.cache/latchkey-clipboard/s1");
        // What the clipboard names, and what a named folder holds.
        assert_eq!(
            scope.allows(Reach::Read, &hp("/home/u/a.txt")),
            Some(hp("/home/u/a.txt"))
        );
        assert_eq!(
            scope.allows(Reach::Read, &hp("/home/u/tree/x/y")),
            Some(hp("/home/u/tree"))
        );
        // Nothing else: siblings, parents, look-alike names, the home spelled `~`.
        for other in [
            "/home/u",
            "/home/u/b.txt",
            "/home/u/a.txt.bak",
            "/home/u/tree2",
            "/etc/passwd",
            "~/a.txt",
            "a.txt",
            "/",
        ] {
            assert_eq!(scope.allows(Reach::Read, &hp(other)), None, "{other}");
        }
        // Never written, even where it may be read.
        assert_eq!(scope.allows(Reach::Write, &hp("/home/u/tree/x")), None);
        // The staging folder: looked at, and written inside.
        let s = hp("/home/u/.cache/latchkey-clipboard/s1");
        assert_eq!(scope.allows(Reach::Read, &s), Some(s.clone()));
        assert_eq!(scope.allows(Reach::Write, &s), None);
        assert_eq!(
            scope.allows(
                Reach::Write,
                &hp("/home/u/.cache/latchkey-clipboard/s1/1/f")
            ),
            Some(s.clone())
        );
        assert_eq!(
            scope.allows(Reach::Write, &hp("/home/u/.cache/latchkey-clipboard/s2/f")),
            None
        );
        // A new `get` replaces what the last one named.
        scope.set_roots(&["/tmp/new".into()]);
        assert_eq!(scope.allows(Reach::Read, &hp("/home/u/a.txt")), None);
        assert!(scope.allows(Reach::Read, &hp("/tmp/new")).is_some());
    }

    #[test]
    fn the_directories_passed_through_are_those_below_the_named_path() {
        let from = hp("/home/u/tree");
        assert_eq!(passes_through(&from, &from), Vec::<HostPath>::new());
        assert_eq!(
            passes_through(&from, &hp("/home/u/tree/a")),
            vec![from.clone()]
        );
        assert_eq!(
            passes_through(&from, &hp("/home/u/tree/a/b")),
            vec![from.clone(), hp("/home/u/tree/a")]
        );
    }

    #[test]
    fn file_requests_ask_the_scope_by_kind() {
        let list = files::FromViewer::List {
            id: 1,
            path: "/x".into(),
        };
        assert_eq!(asks(&list), Asks::Path(Reach::Read, "/x"));
        let mkdir = files::FromViewer::Mkdir {
            id: 1,
            path: "/y".into(),
        };
        assert_eq!(asks(&mkdir), Asks::Path(Reach::Write, "/y"));
        let rm = files::FromViewer::Remove {
            id: 1,
            path: "/y".into(),
            recursive: true,
        };
        assert_eq!(asks(&rm), Asks::Never);
        assert_eq!(
            asks(&files::FromViewer::Ack { id: 1, offset: 0 }),
            Asks::Transfer
        );
    }

    #[test]
    fn clipboard_files_messages_parse_strictly() {
        let m: FromViewer =
            super::parse(&SPEC, br#"{"type":"offer","id":3,"dir":"/d"}"#).expect("offer");
        assert_eq!(
            m,
            FromViewer::Offer {
                id: 3,
                dir: "/d".into()
            }
        );
        assert!(super::parse::<FromViewer>(&SPEC, br#"{"type":"get","id":1,"x":1}"#).is_err());
        let pieces = pack_paths(
            (0..2000)
                .map(|i| format!("/some/long/path/{i:04}"))
                .collect(),
        );
        assert!(pieces.len() > 1);
        assert_eq!(pieces.iter().map(Vec::len).sum::<usize>(), 2000);
        for p in pieces {
            let m = FromHost::Files {
                id: u64::MAX,
                paths: p,
                more: true,
            };
            assert!(serde_json::to_vec(&m).expect("json").len() <= SPEC.max_message);
        }
    }
}

#[test]
fn desk_features_need_their_permissions_and_refuse_unknown_fields() {
    use super::desk::{FromHost, FromViewer, BLOCK_INPUT, PRIVACY_MODE};
    assert!(!BLOCK_INPUT.allowed(PermissionSet::NONE));
    assert!(BLOCK_INPUT.allowed(PermissionSet::from_iter([Permission::BlockInput])));
    assert!(!BLOCK_INPUT.allowed(PermissionSet::from_iter([Permission::PrivacyMode])));
    assert_eq!(PRIVACY_MODE.permission(), Some(Permission::PrivacyMode));
    assert!(!PRIVACY_MODE.allowed(PermissionSet::from_iter([Permission::BlockInput])));
    assert!(!super::desk::LOCK_ON_END.allowed(PermissionSet::NONE));
    assert_eq!(
        super::desk::LOCK_ON_END.permission(),
        Some(Permission::LockOnEnd)
    );
    let on: FromViewer = parse(&BLOCK_INPUT, br#"{"type":"set","on":true}"#).expect("set");
    assert_eq!(on, FromViewer::Set { on: true });
    assert!(parse::<FromViewer>(&BLOCK_INPUT, br#"{"type":"set","on":true,"x":1}"#).is_err());
    assert!(parse::<FromViewer>(&BLOCK_INPUT, br#"{"type":"set"}"#).is_err());
    let state: FromHost = parse(&PRIVACY_MODE, br#"{"type":"state","on":false}"#).expect("state");
    assert_eq!(state, FromHost::State { on: false });
}

#[test]
fn restart_needs_its_permission_and_never_shows_its_credential() {
    assert!(!restart::SPEC.allowed(PermissionSet::NONE));
    assert!(restart::SPEC.allowed(PermissionSet::from_iter([Permission::Restart])));
    let m: restart::FromViewer = parse(&restart::SPEC, br#"{"type":"restart"}"#).expect("restart");
    assert_eq!(m, restart::FromViewer::Restart {});
    assert!(
        parse::<restart::FromViewer>(&restart::SPEC, br#"{"type":"restart","now":1}"#).is_err()
    );
    let answer = restart::FromHost::Restarting {
        credential: "s3cret-credential".into(),
        valid_s: 600,
    };
    assert!(!format!("{answer:?}").contains("s3cret"));
}

#[test]
fn print_needs_its_permission_and_reads_frames_and_messages() {
    assert!(!print::SPEC.allowed(PermissionSet::NONE));
    assert!(print::SPEC.allowed(PermissionSet::from_iter([Permission::Print])));
    let start: print::FromViewer =
        parse(&print::SPEC, br#"{"type":"start","id":3}"#).expect("a start");
    assert_eq!(start, print::FromViewer::Start { id: 3 });
    assert!(parse::<print::FromViewer>(&print::SPEC, br#"{"type":"start","id":3,"x":1}"#).is_err());
    let frame = print::data_frame(7, b"%PDF-1.4");
    assert_eq!(
        print::decode_from_host(&frame),
        Ok(print::HostMessage::Data {
            job: 7,
            bytes: b"%PDF-1.4"
        })
    );
    // A frame shorter than its head, and one over the limit, are refused.
    assert!(print::decode_from_host(&[frame::FRAME_DATA, 0, 1]).is_err());
    let big = print::data_frame(1, &vec![0; print::FRAME_BYTES + 1]);
    assert!(print::decode_from_host(&big).is_err());
    let full = print::data_frame(1, &vec![0; print::FRAME_BYTES]);
    assert_eq!(full.len(), MAX_MESSAGE);
    let job = serde_json::to_vec(&print::FromHost::Job {
        job: 1,
        title: "a".into(),
        size: 2,
    })
    .expect("JSON");
    assert!(matches!(
        print::decode_from_host(&job),
        Ok(print::HostMessage::Message(print::FromHost::Job { .. }))
    ));
}

#[test]
fn print_queue_names_hold_no_spaces_and_are_recognised() {
    assert_eq!(print::queue_name("IT Support"), "Latchkey-IT_Support");
    assert_eq!(print::queue_name("  "), "Latchkey-viewer");
    assert_eq!(print::queue_name("a/b#c@d"), "Latchkey-a_b_c_d");
    assert_eq!(print::queue_name("ünï"), "Latchkey-_n_");
    assert_eq!(print::queue_name("äö"), "Latchkey-viewer");
    let long = print::queue_name(&"x".repeat(500));
    assert!(print::is_our_queue(&long), "{long}");
    assert!(print::is_our_queue(&format!("{long}-2")));
    assert!(print::is_our_queue("Latchkey-IT_Support"));
    assert!(!print::is_our_queue("Latchkey-"));
    assert!(!print::is_our_queue("Office"));
    assert!(!print::is_our_queue("Latchkey-a b"));
    assert_eq!(print::description("IT Support"), "Latchkey - IT Support");
    assert_eq!(print::description("a\u{7}b"), "Latchkey - ab");
    assert_eq!(print::description(""), "Latchkey - viewer");
}

#[test]
fn print_jobs_are_saved_under_a_pdf_name_without_paths() {
    assert_eq!(print::file_name("report.txt"), "report.pdf");
    assert_eq!(print::file_name("/home/a/Letter.PDF"), "Letter.PDF");
    assert_eq!(print::file_name("../../etc/passwd"), "passwd.pdf");
    assert_eq!(print::file_name(""), "print-job.pdf");
    assert_eq!(print::file_name(".."), "print-job.pdf");
    assert_eq!(print::file_name(".bashrc"), "bashrc.pdf");
    assert_eq!(print::file_name("a\nb"), "ab.pdf");
    assert_eq!(print::file_name("C:\\x\\y.doc"), "y.pdf");
}

#[test]
fn print_job_headers_are_bounded_and_name_our_queues() {
    let h = print::JobHeader {
        queue: "Latchkey-a".into(),
        title: "t".into(),
        size: 10,
    };
    assert_eq!(print::JobHeader::parse(&h.encode()), Ok(h.clone()));
    let too_big = print::JobHeader {
        size: print::MAX_JOB + 1,
        ..h.clone()
    };
    assert_eq!(
        print::JobHeader::parse(&too_big.encode()),
        Err(print::HeaderError::TooLarge)
    );
    let other = print::JobHeader {
        queue: "Office".into(),
        ..h
    };
    assert_eq!(
        print::JobHeader::parse(&other.encode()),
        Err(print::HeaderError::Malformed)
    );
    assert_eq!(
        print::JobHeader::parse(&vec![b' '; print::MAX_HEADER + 1]),
        Err(print::HeaderError::TooLarge)
    );
    assert_eq!(
        print::JobHeader::parse(b"{}"),
        Err(print::HeaderError::Malformed)
    );
}

mod whiteboard_rules {
    use super::super::whiteboard::*;
    use crate::permission::{Permission, PermissionSet};

    #[test]
    fn needs_whiteboard_on_a_reliable_channel() {
        assert!(!SPEC.allowed(PermissionSet::NONE));
        assert!(SPEC.allowed(PermissionSet::from_iter([Permission::Whiteboard])));
        assert_eq!(SPEC.channel, super::ChannelKind::ReliableOrdered);
    }

    #[test]
    fn colours_are_named_or_hex() {
        assert_eq!(Rgb::parse("red"), Ok(Rgb(0xe5, 0x1c, 0x23)));
        assert_eq!(Rgb::parse("Blue"), Ok(Rgb(0x15, 0x65, 0xc0)));
        assert_eq!(Rgb::parse("#00ff7F"), Ok(Rgb(0, 0xff, 0x7f)));
        for bad in [
            "",
            "#",
            "#12345",
            "#1234567",
            "#gg0000",
            "crimson",
            "#+1+2+3",
            "#ﾟ12345",
        ] {
            assert!(
                matches!(Rgb::parse(bad), Err(StrokeError::Color(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn strokes_are_bounded() {
        let ok = Stroke::new("red", vec![(100, 100), (300, 100)], false).expect("stroke");
        assert_eq!(ok.color, Rgb::parse("red").expect("red"));
        assert_eq!(
            Stroke::new("red", vec![(1, 1)], false),
            Err(StrokeError::TooFewPoints)
        );
        let many = vec![(1, 1); MAX_STROKE_POINTS + 1];
        assert_eq!(
            Stroke::new("red", many, false),
            Err(StrokeError::TooManyPoints(MAX_STROKE_POINTS + 1))
        );
        assert!(Stroke::new("red", vec![(1, 1); MAX_STROKE_POINTS], false).is_ok());
        assert_eq!(
            Stroke::new("red", vec![(0, 0), (-1, 5)], false),
            Err(StrokeError::OffScreen(-1, 5))
        );
        assert_eq!(
            Stroke::new("red", vec![(0, 0), (5, MAX_COORD + 1)], false),
            Err(StrokeError::OffScreen(5, MAX_COORD + 1))
        );
        assert!(Stroke::new("red", vec![(0, 0), (MAX_COORD, MAX_COORD)], false).is_ok());
        assert!(matches!(
            Stroke::new("nope", vec![(0, 0), (1, 1)], false),
            Err(StrokeError::Color(_))
        ));
    }

    #[test]
    fn the_board_holds_a_bounded_number_of_points() {
        let mut board = Board::default();
        let stroke = || Stroke::new("blue", vec![(1, 1); MAX_STROKE_POINTS], false).expect("ok");
        for _ in 0..MAX_BOARD_POINTS / MAX_STROKE_POINTS {
            board.add(stroke()).expect("fits");
        }
        assert_eq!(board.add(stroke()), Err(StrokeError::BoardFull));
        assert_eq!(board.strokes().len(), MAX_BOARD_POINTS / MAX_STROKE_POINTS);
        board.clear();
        assert!(board.strokes().is_empty());
        board.add(stroke()).expect("room again");
    }

    #[test]
    fn arrowheads_point_along_the_last_segment() {
        let s = Stroke::new("red", vec![(0, 0), (100, 0), (100, 0)], true).expect("ok");
        let head = s.arrow_head().expect("arrow");
        assert_eq!(head[0], (100, 0));
        let size = 6 * i32::from(PEN_WIDTH);
        assert_eq!(head[1], (100 - size, size / 2));
        assert_eq!(head[2], (100 - size, -size / 2));
        let plain = Stroke::new("red", vec![(0, 0), (100, 0)], false).expect("ok");
        assert_eq!(plain.arrow_head(), None);
        let dot = Stroke::new("red", vec![(5, 5), (5, 5)], true).expect("ok");
        assert_eq!(dot.arrow_head(), None);
    }

    #[test]
    fn messages_parse_strictly() {
        let m: FromViewer = super::parse(
            &SPEC,
            br#"{"type":"stroke","color":"red","points":[[1,2],[3,4]]}"#,
        )
        .expect("stroke");
        assert_eq!(
            m,
            FromViewer::Stroke {
                color: "red".into(),
                points: vec![(1, 2), (3, 4)],
                arrow: false
            }
        );
        let c: FromViewer = super::parse(&SPEC, br#"{"type":"clear"}"#).expect("clear");
        assert_eq!(c, FromViewer::Clear {});
        for bad in [
            &br#"{"type":"clear","x":1}"#[..],
            br#"{"type":"stroke","color":"red","points":[[1,2,3]]}"#,
            br#"{"type":"erase"}"#,
        ] {
            assert!(super::parse::<FromViewer>(&SPEC, bad).is_err());
        }
        let big = format!(
            r#"{{"type":"stroke","color":"red","points":[{}]}}"#,
            vec!["[1,1]"; 3000].join(",")
        );
        assert!(matches!(
            super::parse::<FromViewer>(&SPEC, big.as_bytes()),
            Err(super::WireError::TooLarge { .. })
        ));
        // A full stroke of the largest coordinates fits in one message.
        let full = FromViewer::Stroke {
            color: "#ffffff".into(),
            points: vec![(MAX_COORD, MAX_COORD); MAX_STROKE_POINTS],
            arrow: true,
        };
        let bytes = serde_json::to_vec(&full).expect("json");
        assert!(bytes.len() <= SPEC.max_message, "{}", bytes.len());
    }
}

#[test]
fn shown_pointers_get_distinct_colours_and_plain_names() {
    use super::pointer::{pick_color, shown_name, SHOWN_COLORS};
    assert_eq!(pick_color(&[]), 0);
    assert_eq!(pick_color(&[0]), 1);
    assert_eq!(pick_color(&[1, 0, 3]), 2);
    let all: Vec<usize> = (0..SHOWN_COLORS.len()).collect();
    assert_eq!(pick_color(&all), 0);
    assert_eq!(shown_name("  alice@laptop "), "alice@laptop");
    assert_eq!(shown_name("bé\u{7}b"), "b??b");
    assert_eq!(shown_name(&"x".repeat(100)).len(), 32);
}
