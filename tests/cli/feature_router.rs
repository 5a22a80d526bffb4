//! The host's feature router between real processes: each feature travels on
//! its own data channel, a message the session's permissions do not allow is
//! refused and audited once per kind, and a permission taken away while the
//! session runs stops its feature at once (and comes back with it).

use latchkey_core::feature::{self, clipboard};
use latchkey_core::handshake::HostMessage;
use latchkey_core::identity::DeviceKey;
use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{clipboard, dropped, held_session, host_on, pointer};
use latchkey_e2e::raw_viewer::RawViewer;
use latchkey_session::transport::peer::{open_feature_channel, Control, ControlEvent};
use latchkey_testkit::Xvfb;
use rand_core::OsRng;
use serde_json::Value;
use std::time::{Duration, Instant};

fn is_refusal(answer: &Value) -> bool {
    answer["ok"] == false && answer["refused"] == true
}

#[test]
fn a_message_without_its_permission_is_refused_and_audited_once_per_kind() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "screen_sharing");
    let viewer = Device::file();
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "screen_sharing"]);
    for _ in 0..2 {
        let got = v.command("clipboard-get");
        assert!(is_refusal(&got), "{got}");
        assert!(
            got["error"].as_str().unwrap_or("").contains("clipboard"),
            "{got}"
        );
        let set = v.command("clipboard-set from the viewer");
        assert!(is_refusal(&set), "{set}");
        // Input is not answered; the host drops it all the same.
        assert_eq!(v.command("type nope")["ok"], true);
    }
    assert_eq!(v.command("sync")["ok"], true);
    // The choice of screen needs no permission.
    assert_eq!(v.command("displays")["ok"], true);
    assert_eq!(v.command("quit")["ok"], true);
    assert_eq!(v.finish(Duration::from_secs(20)).code, 0);
    let ended = host.audited("session_ended", 1);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["dropped_messages"], 6, "{}", ended[0]);
    let mut kinds = dropped(&host);
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("clipboard_get".to_string(), "clipboard".to_string()),
            ("clipboard_set".to_string(), "clipboard".to_string()),
            ("text".to_string(), "control_input".to_string()),
        ]
    );
    assert_ne!(clipboard(&x.display), "from the viewer");
}

#[test]
fn a_permission_removed_mid_session_stops_its_feature_and_comes_back_with_it() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "default"]);
    assert_eq!(v.command("clipboard-set before")["ok"], true);
    assert_eq!(clipboard(&x.display), "before");

    host.run(&["profile", "set", "default", "clipboard", "off"])
        .ok();
    // The settings watcher looks every 50 ms; the first refusal comes soon.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut accepted = "before".to_string();
    for n in 0.. {
        let text = format!("after-{n}");
        let answer = v.command(&format!("clipboard-set {text}"));
        if is_refusal(&answer) {
            break;
        }
        assert_eq!(answer["ok"], true, "{answer}");
        accepted = text;
        assert!(Instant::now() < deadline, "the clipboard was never stopped");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(is_refusal(&v.command("clipboard-get")));
    // The refused text never reached the host's clipboard.
    assert_eq!(clipboard(&x.display), accepted);
    assert!(dropped(&host).contains(&("clipboard_set".to_string(), "clipboard".to_string())));
    // Other features go on meanwhile.
    assert_eq!(v.command("move 10 10")["ok"], true);
    assert_eq!(v.command("sync")["ok"], true);

    host.run(&["profile", "set", "default", "clipboard", "on"])
        .ok();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = v.command("clipboard-set again");
        if answer["ok"] == true {
            break;
        }
        assert!(is_refusal(&answer), "{answer}");
        assert!(Instant::now() < deadline, "the clipboard never came back");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(clipboard(&x.display), "again");
    let got = v.command("clipboard-get");
    assert_eq!(got["text"], "again", "{got}");
    assert_eq!(v.command("quit")["ok"], true);
    assert_eq!(v.finish(Duration::from_secs(20)).code, 0);
}

/// The next message on `channel`, 10 s at most.
async fn next_message(channel: &Control) -> Option<Vec<u8>> {
    match tokio::time::timeout(Duration::from_secs(10), channel.next()).await {
        Ok(ControlEvent::Message(m)) => Some(m),
        Ok(ControlEvent::Open) => {
            match tokio::time::timeout(Duration::from_secs(10), channel.next()).await {
                Ok(ControlEvent::Message(m)) => Some(m),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A raw viewer, logged in: the host checks a feature's channel when it
/// opens and each message on it, and answers on that channel only.
#[test]
fn a_feature_channel_is_checked_on_open_and_on_every_message() {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    host.run(&["profile", "set", "default", "clipboard", "off"])
        .ok();
    let id = h.id().to_string();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let v = RawViewer::connect(&rv.url, &id, DeviceKey::generate(&mut OsRng)).await;
        let granted = v.password_login(GOOD_PASSWORD, false).await;
        assert!(
            matches!(granted, HostMessage::Granted { .. }),
            "{granted:?}"
        );
        let dc = open_feature_channel(v.peer.connection(), &clipboard::SPEC)
            .await
            .expect("channel");
        let channel = Control::new(dc);
        tokio::time::timeout(Duration::from_secs(10), channel.created_open())
            .await
            .expect("open in time")
            .expect("open");
        // A message with a field the feature does not know is ignored whole;
        // the next one is answered (refused: no clipboard permission).
        channel
            .send_raw(br#"{"type":"clipboard_get","files":true}"#)
            .await
            .expect("send");
        channel
            .send(&clipboard::FromViewer::ClipboardGet {})
            .await
            .expect("send");
        let answer = next_message(&channel).await.expect("an answer");
        let answer: clipboard::FromHost =
            feature::parse(&clipboard::SPEC, &answer).expect("a clipboard message");
        assert_eq!(
            answer,
            clipboard::FromHost::Refused {
                what: "clipboard_get".into(),
                permission: "clipboard".into()
            }
        );
        // Nothing came on `control` for it.
        assert!(
            tokio::time::timeout(Duration::from_millis(300), v.control.recv())
                .await
                .is_err()
        );
        v.close().await;
    });
    let mut kinds = host.audited("message_dropped", 1);
    kinds.retain(|e| e["kind"] == "clipboard_get");
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    let ended = host.audited("session_ended", 1);
    assert_eq!(ended[0]["dropped_messages"], 1, "{}", ended[0]);
}

/// An X client that owns the host's clipboard and never answers a request
/// for its content: a clipboard read on the host then waits out arboard's
/// 4-second timeout for each text format it tries. `requested` reports the first request it ignored.
struct SilentClipboardOwner {
    requested: std::sync::mpsc::Receiver<()>,
}

impl SilentClipboardOwner {
    fn start(display: &str) -> Self {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};
        use x11rb::protocol::Event;
        let (conn, screen) = x11rb::connect(Some(display)).expect("X connection");
        let root = conn.setup().roots[screen].root;
        let window = conn.generate_id().expect("id");
        conn.create_window(
            0,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new(),
        )
        .expect("window");
        let clipboard = conn
            .intern_atom(false, b"CLIPBOARD")
            .expect("atom")
            .reply()
            .expect("atom reply")
            .atom;
        conn.set_selection_owner(window, clipboard, x11rb::CURRENT_TIME)
            .expect("own");
        let owner = conn
            .get_selection_owner(clipboard)
            .expect("owner")
            .reply()
            .expect("owner reply")
            .owner;
        assert_eq!(owner, window, "the silent owner holds the clipboard");
        let (tx, requested) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Read every event, answer none; the connection lives with the thread.
            while let Ok(event) = conn.wait_for_event() {
                if let Event::SelectionRequest(_) = event {
                    let _ = tx.send(());
                }
            }
        });
        SilentClipboardOwner { requested }
    }
}

/// A clipboard read that hangs on the host (its X owner never answers) does
/// not hold up input: another session's pointer moves and its sync returns
/// while the read still waits.
#[test]
fn a_slow_clipboard_does_not_block_input() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let owner = SilentClipboardOwner::start(&x.display);
    let (reader, mover) = (Device::file(), Device::file());
    let mut slow = held_session(&reader, h.id(), &rv, &["--profile", "default"]);
    let mut quick = held_session(&mover, h.id(), &rv, &["--profile", "default"]);
    let asked = Instant::now();
    slow.send("clipboard-get");
    owner
        .requested
        .recv_timeout(Duration::from_secs(10))
        .expect("the host asked the clipboard's owner");
    // The host's clipboard read now waits for an answer that never comes.
    let moving = Instant::now();
    assert_eq!(quick.command("move 210 170")["ok"], true);
    assert_eq!(quick.command("sync")["ok"], true);
    let moved_in = moving.elapsed();
    assert_eq!(pointer(&x.display), (210, 170));
    // arboard tries several text formats, 4 s each: longer than the viewer
    // waits for an answer (10 s), so the read ends in the viewer's timeout.
    let answer = slow.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
    let read_in = asked.elapsed();
    assert!(
        answer.contains("\"ok\":false") && answer.contains("timed out waiting for the host"),
        "{answer}"
    );
    assert!(read_in >= Duration::from_secs(10), "{read_in:?}");
    // The input was done well within that.
    assert!(moved_in < Duration::from_secs(3), "{moved_in:?}");
    assert_eq!(quick.command("quit")["ok"], true);
    assert_eq!(slow.command("quit")["ok"], true);
}
