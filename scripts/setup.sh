#!/usr/bin/env bash
# Install what Latchkey needs to build, run and test on Debian 12: the C
# libraries our crates link to, a Secret Service for the OS keyring, and the
# tools the tests drive. Safe to run again. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
  build-essential pkg-config       # C toolchain for -sys crates
  libdbus-1-dev libsecret-1-dev    # keyring crate (Secret Service over D-Bus)
  dbus dbus-x11                    # dbus-daemon, dbus-run-session
  gnome-keyring libsecret-tools    # a real Secret Service, and secret-tool for the leak test
  e2fsprogs                        # chattr: the read-only config dir test as root
  time                             # GNU time: peak memory in benchmarks
  libvpx-dev                       # VP8 encode/decode
  libopus-dev libpulse-dev         # hear_sound: Opus (linked dynamically) and the PulseAudio client (the default sink's monitor)
  pulseaudio pulseaudio-utils sox  # tests: a private sound server with a null sink, paplay/pactl, a 440 Hz tone
  libxtst-dev libxcb1-dev libxrandr-dev        # X11 input injection and capture
  libpipewire-0.3-dev libspa-0.2-dev libwayland-dev libegl-dev libgbm-dev  # xcap's Wayland path
  clang libclang-dev               # bindgen for xcap's PipeWire bindings
  xvfb xauth xdotool xclip         # tests and headless runs: a real X server (xvfb-run needs xauth), pointer/keyboard and clipboard checks
  ffmpeg                           # benchmark: the x11grab + libvpx reference pipeline
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev  # the Tauri desktop app
  webkit2gtk-driver                # tests: WebDriver for the real app (tauri-driver)
  chromium chromium-driver         # tests: the UI end to end in a real browser
  xdg-utils desktop-file-utils     # .deb: xdg-mime, update-desktop-database
  debootstrap                      # .deb test: a clean Debian root to install it into
  systemd-container                # tests: systemd-nspawn boots that root with systemd as PID 1 (restart with reconnect)
  dpkg-dev                         # .deb: dpkg-shlibdeps (the sidecars' library dependencies)
  systemd                          # tests: systemd-analyze verify on packaging/systemd/*.service; loginctl
  xserver-xorg-core xserver-xorg-video-dummy  # tests: a real Xorg (dummy driver: RandR CRTC gamma ramps) for block input and privacy mode
  xinput x11-xserver-utils xterm   # tests: XInput2 masters (the person at the desk), xrandr, a terminal the desk types into
  xscreensaver                     # tests: a real locker for lock on session end (the host locks with xscreensaver-command)
  cups cups-client cups-filters poppler-utils  # remote print: a real cupsd, lp/lpstat/lpadmin, the PDF filters, pdftotext in tests
  redis-server                     # tests: several rendezvous nodes sharing one Redis (a private redis-server per test)
  coturn iproute2 openssl          # tests: a real TURN relay (use-auth-secret, TLS on a test CA) and network namespaces with no default route
  sway swaybg wev                  # crates/wayland tests: a headless wlroots compositor, its background, a client that prints input events
  weston                           # crates/wayland tests: a compositor without the wlr protocols (the clear error)
  mutter pipewire wireplumber      # crates/mutter tests: a headless GNOME compositor (43), the PipeWire daemon its screen cast feeds, the session manager that links streams
  wl-clipboard                     # crates/mutter tests and tests/cli/wayland_host.rs: wl-copy/wl-paste, Wayland clients on the clipboard
  passwd util-linux                # tests as root: useradd/groupadd, runuser (control socket as another user), setpriv (an X server as another user)
)

missing=()
for p in "${packages[@]}"; do
  case "$p" in \#*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js for the UI (Vite, Vitest, Playwright): Debian's when none is installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs and npm"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nodejs npm
fi
node_major=$(node -e 'console.log(process.versions.node.split(".")[0])')
if [ "$node_major" -lt 18 ]; then
  echo "setup: Node.js $(node --version) is too old; the UI needs 18 or newer." >&2
  exit 1
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing. Install Rust 1.89 or newer with rustup, then run this again." >&2
  exit 1
fi
need="1.89"
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "setup: Rust $have is too old; Latchkey needs $need or newer (rustup update)." >&2
  exit 1
fi
