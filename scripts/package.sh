#!/usr/bin/env bash
# Build Latchkey's .deb with Tauri's bundler: the desktop app, the `latchkey`
# and `latchkey-rendezvous` binaries (as sidecars, installed to /usr/bin),
# the systemd units, the .desktop file that handles latchkey:// links, and
# the icons. Prints the path of the package.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
(cd packaging && npm ci --no-audit --no-fund)
cargo build --release --locked -p latchkey-cli
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
triple="$(rustc -vV | sed -n 's/^host: //p')"
mkdir -p src-tauri/binaries
cp "$target/release/latchkey" "src-tauri/binaries/latchkey-$triple"
cp "$target/release/latchkey-rendezvous" "src-tauri/binaries/latchkey-rendezvous-$triple"
# The Tauri CLI needs the app's own manifest next to the config it reads:
# point it at src-tauri (whose tauri.conf.json links to the root one).
TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui \
  packaging/node_modules/.bin/tauri build --ci --bundles deb --config packaging/tauri.deb.json >&2
ls -t "$target"/release/bundle/deb/*.deb | head -1
