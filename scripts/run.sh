#!/usr/bin/env bash
# Run Latchkey's desktop app: install what it needs, build the UI and the
# app, and start it (it runs the host in the background and, with no
# rendezvous server configured, a local one, so this machine gets an ID at
# once). Arguments go to the app, e.g. a latchkey://connect/ID link.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --profile dist --locked -p latchkey-app -p latchkey-cli
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/dist"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no graphical session (DISPLAY is not set). Start it from a desktop," >&2
  echo "     or try it headless: xvfb-run -a dbus-run-session -- scripts/run.sh" >&2
  exit 2
fi
# A session bus with no Secret Service running (a headless session from
# dbus-run-session, say) would leave the app without a keyring: start
# GNOME Keyring's, unlocked (an empty line as the login keyring's password;
# it creates that keyring the first time), as the tests do. A desktop
# session already runs one, and is left alone; without any session bus the
# app itself offers to keep its secrets in a private file instead.
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v gnome-keyring-daemon >/dev/null 2>&1 &&
   dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
     org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean false'; then
  echo "run: no keyring runs in this session: starting GNOME Keyring with an empty login password" >&2
  printf '\n' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
fi
exec "$target/latchkey-app" "$@"
