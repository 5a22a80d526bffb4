#!/usr/bin/env bash
# Run Latchkey's desktop app: install what it needs, build the UI and the
# app, and start it (it runs the host in the background and, with no
# rendezvous server configured, a local one, so this machine gets an ID at
# once). Arguments go to the app, e.g. a latchkey://connect/ID link.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --release --locked -p latchkey-app -p latchkey-cli
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no graphical session (DISPLAY is not set). Start it from a desktop," >&2
  echo "     or try it headless: xvfb-run -a dbus-run-session -- scripts/run.sh" >&2
  exit 2
fi
exec "$target/latchkey-app" "$@"
