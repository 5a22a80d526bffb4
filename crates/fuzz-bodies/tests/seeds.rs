//! The seed corpora (fuzz/corpus/<target>/seed-*): real messages, files,
//! links, requests, video and sound made by the product's own code. The test that
//! always runs checks every seed still reads as intended (so a changed wire
//! format shows up here); the ignored one writes them:
//! `cargo test -p latchkey-fuzz-bodies --test seeds -- --ignored`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rtc::rtp::codec::vp8::Vp8Payloader;
use rtc::rtp::header::Header;
use rtc::rtp::packet::Packet;
use rtc::rtp::packetizer::Payloader;
use rtc::shared::marshal::Marshal;

use latchkey_core::deep_link;
use latchkey_core::handshake::{self, HostMessage, Method, ViewerMessage};
use latchkey_core::identity::DeviceKey;
use latchkey_core::pake::{KsfParams, ServerSecret};
use latchkey_core::permission::Permission;
use latchkey_core::settings::{SecretStoreKind, Settings};
use latchkey_core::signal::{self, ClientMessage, DeviceId, ErrorCode, ServerMessage, Signature};
use latchkey_core::token::Token;
use latchkey_core::totp::TotpSecret;
use latchkey_fuzz_bodies::join_records;
use latchkey_media::{convert, EncoderConfig, Frame, PixelFormat, Vp8Encoder};

/// Every seed, by target.
fn seeds() -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut all = BTreeMap::new();
    all.insert("rendezvous_frame", rendezvous_frames());
    all.insert("handshake_message", handshake_messages());
    all.insert("handshake_host", handshake_scripts());
    all.insert("feature_message", feature_messages());
    all.insert("settings_file", settings_files());
    all.insert("secrets_file", secrets_files());
    all.insert("deep_link", deep_links());
    all.insert("control_request", control_requests());
    let frames = vp8_frames();
    all.insert("vp8_rtp", rtp_streams(&frames));
    all.insert("opus_rtp", opus_streams());
    all.insert(
        "vp8_decode",
        vec![
            join_records(frames.iter().map(Vec::as_slice)),
            join_records([frames[0].as_slice()]),
            join_records([frames[1].as_slice(), frames[0].as_slice()]),
        ],
    );
    all
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
#[ignore = "writes the seed corpora"]
fn write_seed_corpora() {
    for (target, list) in seeds() {
        let dir = corpus_dir().join(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (i, seed) in list.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), seed).expect("write");
        }
    }
}

/// Every seed goes through its target without a finding, and every target has seeds.
#[test]
fn seeds_pass_their_targets() {
    let all = seeds();
    for (name, body) in latchkey_fuzz_bodies::TARGETS {
        let list = all
            .get(name)
            .unwrap_or_else(|| panic!("no seeds for {name}"));
        assert!(!list.is_empty());
        for seed in list {
            body(seed);
        }
    }
}

fn id() -> DeviceId {
    DeviceId::from_number(123_456_789).expect("id")
}

fn text(list: impl IntoIterator<Item = String>) -> Vec<Vec<u8>> {
    list.into_iter().map(String::into_bytes).collect()
}

fn rendezvous_frames() -> Vec<Vec<u8>> {
    let key = DeviceKey::generate(&mut StdRng::seed_from_u64(1));
    let session = "0123456789abcdef0123456789abcdef".to_string();
    let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n".to_string();
    let candidate = "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host".to_string();
    let client = [
        ClientMessage::Hello {
            public_key: key.public(),
        },
        ClientMessage::Register {
            signature: Signature(key.sign(&signal::register_message(b"nonce"))),
        },
        ClientMessage::Lookup { id: id() },
        ClientMessage::Offer {
            to: id(),
            session: session.clone(),
            sdp: sdp.clone(),
        },
        ClientMessage::Answer {
            session: session.clone(),
            sdp: sdp.clone(),
        },
        ClientMessage::Candidate {
            session: session.clone(),
            candidate: candidate.clone(),
        },
        ClientMessage::Bye {
            session: session.clone(),
            reason: Some("done".into()),
        },
        ClientMessage::TurnRequest,
        ClientMessage::Ping,
    ];
    let server = [
        ServerMessage::Challenge {
            nonce: "00ff".repeat(8),
        },
        ServerMessage::Registered { id: id() },
        ServerMessage::Presence {
            id: id(),
            online: true,
        },
        ServerMessage::Incoming {
            session: session.clone(),
            from_addr: Some("127.0.0.1".into()),
            sdp,
        },
        ServerMessage::Candidate {
            session: session.clone(),
            candidate,
        },
        ServerMessage::Turn {
            urls: vec!["turn:127.0.0.1:3478".into()],
            username: "1800000000:host".into(),
            credential: "c2VjcmV0".into(),
            ttl_s: 600,
        },
        ServerMessage::Pong,
        ServerMessage::Error {
            code: ErrorCode::HostOffline,
            message: "offline".into(),
            session: Some(session),
        },
    ];
    let mut out = text(client.iter().map(signal::encode));
    out.extend(text(server.iter().map(signal::encode)));
    out.extend(text(["123 456-789".to_string()]));
    out
}

fn handshake_messages() -> Vec<Vec<u8>> {
    let key = DeviceKey::generate(&mut StdRng::seed_from_u64(2));
    let signature = Signature(key.sign(b"x"));
    let token = Token::generate(&mut StdRng::seed_from_u64(3));
    let viewer = [
        ViewerMessage::Hello {
            version: handshake::VERSION,
            device_key: key.public(),
            name: "alice@laptop".into(),
            signature,
        },
        ViewerMessage::Token {
            token: token.expose().to_string(),
        },
        ViewerMessage::Password {
            profile: Some("default".into()),
            request: vec![7; 96],
            remember: true,
        },
        ViewerMessage::PasswordFinish {
            finalization: vec![9; 64],
        },
        ViewerMessage::Ask { profile: None },
        ViewerMessage::SecondFactor {
            code: "123456".into(),
        },
        ViewerMessage::Abort {
            reason: "wrong password".into(),
        },
    ];
    let host = [
        HostMessage::Hello {
            version: handshake::VERSION,
            device_key: key.public(),
            host_id: Some(id()),
            signature,
        },
        HostMessage::PasswordChallenge {
            response: vec![1; 192],
            ksf: KsfParams::DEFAULT,
        },
        HostMessage::SecondFactorRequired,
        HostMessage::Waiting { timeout_s: 60 },
        HostMessage::Granted {
            method: Method::Token,
            profile: "default".into(),
            permissions: ["clipboard", "control_input"]
                .iter()
                .map(|p| p.parse::<Permission>().expect("permission"))
                .collect(),
            token: Some(token.expose().to_string()),
        },
        HostMessage::Denied {
            error: handshake::DenialCode::Throttled,
            retry_after_s: Some(30),
            message: "wait".into(),
        },
    ];
    let mut out: Vec<Vec<u8>> = viewer.iter().map(json).collect();
    out.extend(host.iter().map(json));
    out
}

fn json<T: serde::Serialize>(m: &T) -> Vec<u8> {
    serde_json::to_vec(m).expect("json")
}

fn handshake_scripts() -> Vec<Vec<u8>> {
    // Config byte (see `handshake_host`), then one input per line.
    let script = |config: u8, lines: &[&str]| {
        let mut s = vec![config];
        s.extend_from_slice(lines.join("\n").as_bytes());
        s
    };
    vec![
        script(0x40, &["!hello", "!token"]),
        script(0x43 | 0x04, &["!hello", "!token", "!code"]),
        script(
            0x40,
            &[
                "!hello",
                "!password",
                r#"{"type":"password_finish","finalization":"AAAA"}"#,
            ],
        ),
        script(0x41, &["!hello", "!password", "!tick", "!tick"]),
        script(
            0x00,
            &[
                "!hello",
                r#"{"type":"ask","profile":"full_access"}"#,
                "!accept",
            ],
        ),
        script(
            0x00,
            &["!hello", r#"{"type":"ask","profile":null}"#, "!deny"],
        ),
        script(
            0x28,
            &["!hello", r#"{"type":"ask","profile":null}"#, "!noanswer"],
        ),
        script(0x10, &["!hello", r#"{"type":"ask","profile":null}"#]),
        script(
            0x40,
            &["!hello", r#"{"type":"token","token":"not a token"}"#],
        ),
        script(
            0x40,
            &[
                "!hello",
                r#"{"type":"reconnect","credential":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
            ],
        ),
        script(
            0x40,
            &["!hello", r#"{"type":"second_factor","code":"000000"}"#],
        ),
        script(0x40, &[r#"{"type":"abort","reason":"no"}"#]),
        script(0x40, &["!hello", "!close"]),
        script(0x40, &["!tick", "!tick", "!tick"]),
        script(0x41, &["!hello", "!token", "!code", "!code"]),
    ]
}

fn feature_messages() -> Vec<Vec<u8>> {
    // First byte: the channel and direction (see `feature_message`).
    let list: &[(u8, &str)] = &[
        (
            0,
            r#"{"type":"input","event":{"type":"pointer_move","x":10,"y":20}}"#,
        ),
        (
            0,
            r#"{"type":"input","event":{"type":"button_down","button":"left"}}"#,
        ),
        (
            0,
            r#"{"type":"input","event":{"type":"wheel","dx":0,"dy":-3}}"#,
        ),
        (
            0,
            r#"{"type":"input","event":{"type":"key_down","code":"KeyA"}}"#,
        ),
        (
            0,
            r#"{"type":"input","event":{"type":"text","text":"héllo\n"}}"#,
        ),
        (0, r#"{"type":"sync","id":9,"pointer_seq":3}"#),
        (1, r#"{"type":"sync_done","id":9}"#),
        (2, r#"{"seq":3,"x":-1,"y":7}"#),
        (3, r#"{"type":"clipboard_set","text":"hi","more":true}"#),
        (3, r#"{"type":"clipboard_get"}"#),
        (3, r#"{"type":"sync","id":1}"#),
        (4, r#"{"type":"clipboard_text","text":"hi"}"#),
        (
            4,
            r#"{"type":"too_large","what":"clipboard_set","limit":1048576}"#,
        ),
        (
            4,
            r#"{"type":"refused","what":"clipboard_get","permission":"clipboard"}"#,
        ),
        (5, r#"{"type":"list_displays"}"#),
        (5, r#"{"type":"switch_display","id":2}"#),
        (
            6,
            r#"{"type":"displays","displays":[{"id":1,"name":"DP-1","x":0,"y":0,"width":1920,"height":1080,"primary":true}],"current":1}"#,
        ),
        (7, r#"{"type":"get_system_info","id":4}"#),
        (9, r#"{"type":"list","id":1,"path":"~/Documents"}"#),
        (
            9,
            r#"{"type":"read","id":2,"path":"/etc/hostname","offset":0,"prefix_sha256":null}"#,
        ),
        (
            9,
            r#"{"type":"write","id":3,"path":"~/a.txt","size":5,"mode":420,"mtime":1700000000}"#,
        ),
        (9, r#"{"type":"data","id":3,"offset":0,"data":"aGVsbG8="}"#),
        (
            9,
            r#"{"type":"commit","id":3,"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}"#,
        ),
        (9, r#"{"type":"rename","id":4,"from":"~/a","to":"~/b"}"#),
        (
            9,
            r#"{"type":"symlink","id":5,"path":"~/l","target":"../x"}"#,
        ),
        (
            10,
            r#"{"type":"entries","id":1,"entries":[{"name":"a.txt","kind":"file","size":5,"mode":420,"mtime":1700000000,"target":null,"valid_name":true}],"more":true}"#,
        ),
        (
            10,
            r#"{"type":"opened","id":2,"size":5,"offset":0,"mode":420,"mtime":1700000000}"#,
        ),
        (10, r#"{"type":"data","id":2,"offset":0,"data":"aGVsbG8="}"#),
        (
            10,
            r#"{"type":"failed","id":2,"code":"not_found","message":"no such file"}"#,
        ),
        (
            11,
            r#"{"type":"connect","stream":2,"host":"localhost","port":80,"window":524288}"#,
        ),
        (
            11,
            r#"{"type":"listen","id":1,"bind":"127.0.0.1","port":8080}"#,
        ),
        (11, r#"{"type":"credit","stream":2,"bytes":8192}"#),
        (12, r#"{"type":"connected","stream":2,"window":524288}"#),
        (
            12,
            r#"{"type":"not_allowed","id":1,"destination":"10.0.0.1:22"}"#,
        ),
        (13, "~/Documents/report.pdf"),
        (13, "/var/log/../x"),
        (16, r#"{"type":"set","on":true}"#),
        (17, r#"{"type":"state","on":false}"#),
        (18, r#"{"type":"restart"}"#),
        (
            19,
            r#"{"type":"restarting","credential":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","valid_s":600}"#,
        ),
        (
            19,
            r#"{"type":"failed","reason":"this host does not start at boot"}"#,
        ),
        (20, r#"{"type":"start","id":1}"#),
        (
            21,
            r#"{"type":"started","id":1,"queue":"Latchkey-ann_box","description":"Latchkey - ann@box"}"#,
        ),
        (
            21,
            r#"{"type":"job","job":1,"title":"report.txt","size":8}"#,
        ),
        (
            21,
            r#"{"type":"stopped","reason":"the permission 'print' was withdrawn"}"#,
        ),
        (
            22,
            "{\"queue\":\"Latchkey-ann_box\",\"title\":\"report.txt\",\"size\":8}\n",
        ),
        (
            23,
            r#"{"type":"stroke","color":"red","points":[[100,100],[300,100]]}"#,
        ),
        (
            23,
            r##"{"type":"stroke","color":"#00ff7f","points":[[1,2],[30,40],[50,10]],"arrow":true}"##,
        ),
        (23, r#"{"type":"clear"}"#),
        (24, r#"{"type":"drawn","strokes":2}"#),
        (
            24,
            r#"{"type":"invalid","reason":"the board is full (clear it first)"}"#,
        ),
    ];
    let mut out: Vec<Vec<u8>> = list
        .iter()
        .map(|(which, json)| {
            let mut m = vec![*which];
            m.extend_from_slice(json.as_bytes());
            m
        })
        .collect();
    // Binary tunnel data frames, both ways.
    for which in [11u8, 12] {
        let mut m = vec![which];
        m.extend(latchkey_core::feature::tunnel::data_frame(
            2,
            b"GET / HTTP/1.1\r\n\r\n",
        ));
        out.push(m);
    }
    // A print job's PDF in a data frame.
    let mut m = vec![21u8];
    m.extend(latchkey_core::feature::print::data_frame(1, b"%PDF-1.7"));
    out.push(m);
    // A system report in two pieces.
    let report = serde_json::json!({
        "os": {"name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0", "hostname": "box", "arch": "x86_64"},
    });
    let text = report.to_string();
    let (a, b) = text.split_at(text.len() / 2);
    let piece = |t: &str, more: bool| {
        serde_json::to_vec(&serde_json::json!({"type": "report", "id": 4, "text": t, "more": more}))
            .expect("json")
    };
    let mut m = vec![8u8];
    m.extend(join_records([
        piece(a, true).as_slice(),
        piece(b, false).as_slice(),
    ]));
    out.push(m);
    out
}

fn settings_files() -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(4);
    let fresh = Settings::new(SecretStoreKind::File, &mut rng);
    let mut busy = Settings::new(SecretStoreKind::Keyring, &mut rng);
    let server = ServerSecret::generate(&mut rng);
    let record = latchkey_core::pake::register(
        &server,
        b"a good long password",
        KsfParams::DEFAULT,
        &mut rng,
    )
    .expect("register");
    busy.set_password("default", record).expect("password");
    busy.set_unattended("default", true).expect("on");
    busy.save_login = true;
    busy.two_factor.enabled = true;
    busy.rendezvous = Some("ws://127.0.0.1:8080".into());
    busy.device_id = Some(id());
    let key = DeviceKey::generate(&mut rng);
    busy.acl_add(&key.public().fingerprint(), &["default".to_string()])
        .expect("acl");
    let mut out = vec![
        fresh.to_json().expect("json").into_bytes(),
        busy.to_json().expect("json").into_bytes(),
    ];
    // A version-1 file (migrated on read).
    out.push(
        br#"{"version":1,"instance":"00112233445566778899aabbccddeeff","secret_store":"file","accept_mode":"never","save_login":true,"two_factor":{"enabled":false,"last_used_step":null,"recovery_codes":[]},"default_profile":"default","profiles":[{"name":"default","builtin":true,"enabled":true,"permissions":["clipboard"],"unattended":false,"password":null},{"name":"full_access","builtin":true,"enabled":true,"permissions":[],"unattended":false,"password":null},{"name":"screen_sharing","builtin":true,"enabled":true,"permissions":[],"unattended":false,"password":null},{"name":"unattended","builtin":true,"enabled":false,"permissions":[],"unattended":false,"password":null}],"tokens":[]}"#
            .to_vec(),
    );
    out
}

fn secrets_files() -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut rng = StdRng::seed_from_u64(5);
    let key = DeviceKey::generate(&mut rng);
    let server = ServerSecret::generate(&mut rng);
    let totp = TotpSecret::generate(&mut rng);
    let token = Token::generate(&mut rng);
    let map = serde_json::json!({
        "0123456789abcdef0123456789abcdef/device-key": b64(&key.to_secret_bytes()),
        "0123456789abcdef0123456789abcdef/opaque-server": b64(&server.to_bytes()),
        "0123456789abcdef0123456789abcdef/totp": b64(&totp.to_bytes()),
        "0123456789abcdef0123456789abcdef/viewer-token/123456789": b64(token.expose().as_bytes()),
    });
    vec![
        serde_json::to_vec_pretty(&map).expect("json"),
        br#"{"x/device-key":"not base64!"}"#.to_vec(),
        b"{}".to_vec(),
    ]
}

fn deep_links() -> Vec<Vec<u8>> {
    let links = [
        "latchkey://connect/123456789",
        "latchkey://connect/123 456 789?profile=full_access",
        "LATCHKEY://Connect/123-456-789/?profile=full%5Faccess#x",
        "latchkey://connect/123456789?password=hunter2",
        "latchkey://connect/123456789?profile=a&profile=b",
        "latchkey://connect/123456789?%74oken=x",
        "latchkey://settings",
        "https://example.invalid/",
    ];
    for l in &links[..3] {
        assert!(deep_link::parse(l).is_ok(), "{l}");
    }
    text(links.iter().map(|s| s.to_string()))
}

fn control_requests() -> Vec<Vec<u8>> {
    let lines = [
        r#"{"cmd":"requests"}"#,
        r#"{"cmd":"pointers"}"#,
        r#"{"cmd":"deny","id":"1"}"#,
        r#"{"cmd":"accept","id":"1","viewer":"V","requested_profile":"default"}"#,
        r#"{"cmd":"accept","id":"1","viewer":"V","requested_profile":"default","profile":"screen_sharing","deny_permissions":["clipboard","fly"]}"#,
        r#"{"cmd":"admin","op":{"op":"status"}}"#,
        r#"{"cmd":"admin","op":{"op":"set_acl","on":false}}"#,
        r#"{"cmd":"admin","op":{"op":"set_interactive","mode":"never"}}"#,
        "garbage",
    ];
    text(lines.iter().map(|s| s.to_string()))
}

/// A few real VP8 frames of a small moving picture: a keyframe, then deltas.
fn vp8_frames() -> Vec<Vec<u8>> {
    let (w, h) = (64u32, 48u32);
    let mut enc = Vp8Encoder::new(EncoderConfig::new(w, h)).expect("encoder");
    let mut frames = Vec::new();
    for pts in 0..4u64 {
        let mut rgba = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h {
            for x in 0..w {
                let v = ((x + y + pts as u32 * 8) % 256) as u8;
                rgba.extend_from_slice(&[v, 255 - v, (x * 4) as u8, 255]);
            }
        }
        let frame = Frame::packed(w, h, PixelFormat::Rgba, rgba).expect("frame");
        let picture = convert::to_i420(&frame).expect("i420");
        frames.extend(
            enc.encode(&picture, pts)
                .expect("encode")
                .into_iter()
                .map(|p| p.data),
        );
    }
    assert!(
        frames.len() >= 2,
        "the encoder gave {} frames",
        frames.len()
    );
    frames
}

/// RTP streams carrying the frames as the host's track does (small MTU so
/// a frame spans several packets), and one with a packet lost.
fn rtp_streams(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut payloader = Vp8Payloader::default();
    payloader.enable_picture_id = true;
    let mut packets = Vec::new();
    let mut seq = 65_530u16; // wraps around inside the stream
    for (i, frame) in frames.iter().enumerate() {
        let payloads = payloader
            .payload(200, &Bytes::copy_from_slice(frame))
            .expect("payload");
        let last = payloads.len() - 1;
        for (j, payload) in payloads.into_iter().enumerate() {
            let packet = Packet {
                header: Header {
                    version: 2,
                    marker: j == last,
                    payload_type: 96,
                    sequence_number: seq,
                    timestamp: 3000 * i as u32,
                    ssrc: 0x1234_5678,
                    ..Default::default()
                },
                payload,
            };
            packets.push(packet.marshal().expect("marshal").to_vec());
            seq = seq.wrapping_add(1);
        }
    }
    let all = join_records(packets.iter().map(Vec::as_slice));
    let mut lossy = packets.clone();
    lossy.remove(1);
    vec![all, join_records(lossy.iter().map(Vec::as_slice))]
}

/// The host's sound as RTP: a tone with a lost packet, silence (a gap in
/// time) and a late packet; and a stream of packets that are not Opus.
fn opus_streams() -> Vec<Vec<u8>> {
    use latchkey_media::sound::{OpusEncoder, CHANNELS, FRAME};
    let mut encoder = OpusEncoder::new().expect("encoder");
    let tone: Vec<i16> = (0..FRAME)
        .flat_map(|i| {
            let v =
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 48_000.0).sin()) as i16;
            [v; CHANNELS]
        })
        .collect();
    let silence = vec![0i16; FRAME * CHANNELS];
    let mut packets = Vec::new();
    let mut seq = 65_533u16; // wraps around inside the stream
    for frame in 0..40u32 {
        let pcm = if (10..25).contains(&frame) {
            &silence
        } else {
            &tone
        };
        for p in encoder.encode(pcm).expect("encode") {
            let packet = Packet {
                header: Header {
                    version: 2,
                    marker: p.frames_back == 1,
                    payload_type: 111,
                    sequence_number: seq,
                    timestamp: 960 * (frame + 1 - p.frames_back),
                    ssrc: 0x0bad_cafe,
                    ..Default::default()
                },
                payload: Bytes::from(p.data),
            };
            seq = seq.wrapping_add(1);
            packets.push(packet.marshal().expect("marshal").to_vec());
        }
    }
    let mut lossy = packets.clone();
    lossy.remove(3);
    lossy.swap(6, 7);
    let garbage: Vec<Vec<u8>> = packets
        .iter()
        .map(|p| {
            let mut p = p.clone();
            for b in p.iter_mut().skip(12) {
                *b ^= 0x5a;
            }
            p
        })
        .collect();
    vec![
        join_records(packets.iter().map(Vec::as_slice)),
        join_records(lossy.iter().map(Vec::as_slice)),
        join_records(garbage.iter().map(Vec::as_slice)),
    ]
}
