//! A desk to keep people out of: a real Xorg server with the dummy video
//! driver (RandR outputs with CRTC gamma ramps, unlike Xvfb), the CRTC gamma
//! ramps read back through RandR, and the person sitting at the desk: a
//! second XInput2 master device ("Desk") whose own XTEST slave devices carry
//! this client's typing and pointer motion, as a physical keyboard and mouse
//! attached to their own slave devices would (this kernel has no uinput to
//! make real evdev devices).

use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::randr::{self, ConnectionExt as _};
use x11rb::protocol::xinput::{self, ConnectionExt as _, DeviceType};
use x11rb::protocol::xproto::{self, ConnectionExt as _};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

/// The dummy screen's size.
pub const DESK_WIDTH: u32 = 1280;
/// The dummy screen's height.
pub const DESK_HEIGHT: u32 = 720;

const CONFIG: &str = r#"
Section "ServerFlags"
  Option "AutoAddDevices" "false"
  Option "AllowEmptyInput" "true"
EndSection
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 64000
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 5.0-1000.0
  VertRefresh 5.0-200.0
  Modeline "1280x720" 74.25 1280 1390 1430 1650 720 725 730 750
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Modes "1280x720"
  EndSubSection
EndSection
"#;

/// An Xorg server with the dummy video driver on a free display number
/// (root only: Xorg refuses a `-config` path otherwise), killed on drop.
pub struct XorgDummy {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    dir: PathBuf,
    /// E.g. `":3"`.
    pub display: String,
}

impl XorgDummy {
    /// Start one (a 1280x720 screen).
    pub fn start() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "latchkey-xorg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("xorg dir");
        let config = dir.join("dummy.conf");
        std::fs::write(&config, CONFIG).expect("xorg config");
        let mut child = Command::new("Xorg")
            .arg("-displayfd")
            .arg("1")
            .arg("-config")
            .arg(&config)
            .arg("-logfile")
            .arg(dir.join("xorg.log"))
            .args(["-noreset", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xorg must be installed (xserver-xorg-core, xserver-xorg-video-dummy)");
        let log = dir.join("xorg.log");
        let (display, reader) =
            crate::display_of(&mut child, "Xorg", Duration::from_secs(60), || {
                std::fs::read_to_string(&log).unwrap_or_default()
            });
        XorgDummy {
            child,
            _stdout: reader,
            dir,
            display,
        }
    }
}

impl Drop for XorgDummy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A connection to `display` and its RandR screen resources.
fn resources(display: &str) -> (RustConnection, randr::GetScreenResourcesCurrentReply) {
    let (conn, screen) = crate::connect(display);
    let root = conn.setup().roots[screen].root;
    let res = conn
        .randr_get_screen_resources_current(root)
        .expect("randr")
        .reply()
        .expect("screen resources");
    (conn, res)
}

/// One CRTC's gamma ramp: red, green, blue.
pub type Ramp = (Vec<u16>, Vec<u16>, Vec<u16>);

/// The gamma ramp of the CRTC of every connected output, by output name.
pub fn output_gammas(display: &str) -> Vec<(String, Ramp)> {
    let (conn, res) = resources(display);
    let mut out = Vec::new();
    for output in res.outputs {
        let info = conn
            .randr_get_output_info(output, res.config_timestamp)
            .expect("output info")
            .reply()
            .expect("output info reply");
        if info.connection != randr::Connection::CONNECTED || info.crtc == 0 {
            continue;
        }
        let g = conn
            .randr_get_crtc_gamma(info.crtc)
            .expect("gamma")
            .reply()
            .expect("gamma reply");
        out.push((
            String::from_utf8_lossy(&info.name).into_owned(),
            (g.red, g.green, g.blue),
        ));
    }
    out
}

/// Set every connected output's gamma ramp to a recognisable, non-default
/// curve (`x * 0.9`, a slightly dim screen), so a restore is checked against
/// values that are not the server's defaults.
pub fn dim_outputs(display: &str) {
    let (conn, res) = resources(display);
    for crtc in res.crtcs {
        let size = conn
            .randr_get_crtc_gamma_size(crtc)
            .expect("gamma size")
            .reply()
            .expect("gamma size reply")
            .size;
        if size == 0 {
            continue;
        }
        let ramp: Vec<u16> = (0..u32::from(size))
            .map(|i| (i * 65535 / (u32::from(size) - 1).max(1) * 9 / 10) as u16)
            .collect();
        let blue: Vec<u16> = ramp.iter().map(|v| v / 2).collect();
        conn.randr_set_crtc_gamma(crtc, &ramp, &ramp, &blue)
            .expect("set gamma");
    }
    conn.get_input_focus().expect("sync").reply().expect("sync");
}

/// The person at the desk: a master device pair of its own ("Desk pointer",
/// "Desk keyboard"), made this client's pointer, whose XTest input arrives
/// through the Desk master's XTEST slaves.
pub struct DeskPerson {
    conn: RustConnection,
    root: xproto::Window,
}

impl DeskPerson {
    /// Add the "Desk" master on `display` (once per server) and sit at it.
    pub fn sit(display: &str) -> Self {
        let (conn, screen) = crate::connect(display);
        let root = conn.setup().roots[screen].root;
        conn.xinput_xi_query_version(2, 2)
            .expect("xinput")
            .reply()
            .expect("XInput 2");
        let master = |conn: &RustConnection| {
            conn.xinput_xi_query_device(xinput::Device::ALL)
                .expect("query devices")
                .reply()
                .expect("devices")
                .infos
                .into_iter()
                .find(|d| d.type_ == DeviceType::MASTER_POINTER && d.name == b"Desk pointer")
                .map(|d| d.deviceid)
        };
        if master(&conn).is_none() {
            // type, len, name_len, send_core, enable: 8 bytes; "Desk": 4; in 4-byte units.
            let add = xinput::HierarchyChange {
                len: 3,
                data: xinput::HierarchyChangeData::AddMaster(
                    xinput::HierarchyChangeDataAddMaster {
                        send_core: true,
                        enable: true,
                        name: b"Desk".to_vec(),
                    },
                ),
            };
            conn.xinput_xi_change_hierarchy(&[add])
                .expect("add master")
                .check()
                .expect("the X server refused a new master");
        }
        let pointer = master(&conn).expect("the Desk master");
        conn.xinput_xi_set_client_pointer(x11rb::NONE, pointer)
            .expect("client pointer")
            .check()
            .expect("the X server refused the client pointer");
        DeskPerson { conn, root }
    }

    /// Move the desk's pointer to (x, y).
    pub fn move_to(&self, x: i16, y: i16) {
        self.conn
            .xtest_fake_input(xproto::MOTION_NOTIFY_EVENT, 0, 0, self.root, x, y, 0)
            .expect("motion");
        self.sync();
    }

    /// Type `text`: lowercase letters, digits and `\n` (Return).
    pub fn type_text(&self, text: &str) {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)
            .expect("keymap")
            .reply()
            .expect("keymap reply");
        let per = usize::from(map.keysyms_per_keycode).max(1);
        for c in text.chars() {
            let keysym: u32 = if c == '\n' { 0xff0d } else { u32::from(c) };
            let index = map
                .keysyms
                .chunks(per)
                .position(|syms| syms.first() == Some(&keysym))
                .unwrap_or_else(|| panic!("no key for {c:?}"));
            let code = min + index as u8;
            for kind in [xproto::KEY_PRESS_EVENT, xproto::KEY_RELEASE_EVENT] {
                self.conn
                    .xtest_fake_input(kind, code, 0, self.root, 0, 0, 0)
                    .expect("key");
            }
        }
        self.sync();
    }

    fn sync(&self) {
        self.conn
            .get_input_focus()
            .expect("sync")
            .reply()
            .expect("sync reply");
    }
}
