#!/usr/bin/env bash
# Build Latchkey's .deb with Tauri's bundler: the desktop app, the `latchkey`,
# `latchkey-rendezvous` and `latchkey-print-backend` binaries (as sidecars,
# installed to /usr/bin; postinst installs the last as CUPS's backend),
# the systemd units, the .desktop file that handles latchkey:// links, and
# the icons. Built with the `dist` profile (release, stripped, no debug
# info; `release` keeps line tables for the benchmarks). Prints the
# package's size, then its path (the last line).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
(cd packaging && npm ci --no-audit --no-fund)
cargo build --profile dist --locked -p latchkey-cli
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
triple="$(rustc -vV | sed -n 's/^host: //p')"
mkdir -p src-tauri/binaries
cp "$target/dist/latchkey" "src-tauri/binaries/latchkey-$triple"
cp "$target/dist/latchkey-rendezvous" "src-tauri/binaries/latchkey-rendezvous-$triple"
cp "$target/dist/latchkey-print-backend" "src-tauri/binaries/latchkey-print-backend-$triple"
# Tauri declares the app's own libraries (WebKitGTK, GTK, the tray); the
# sidecars need theirs too (libvpx, XTest, ...): ask dpkg-shlibdeps, and add
# them to the bundle config for this build.
shlibs_dir="$(mktemp -d)"
mkdir -p "$shlibs_dir/debian" && touch "$shlibs_dir/debian/control"
depends="$(cd "$shlibs_dir" && dpkg-shlibdeps -O "$OLDPWD/src-tauri/binaries/latchkey-$triple" \
  "$OLDPWD/src-tauri/binaries/latchkey-rendezvous-$triple" \
  "$OLDPWD/src-tauri/binaries/latchkey-print-backend-$triple" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
rm -rf "$shlibs_dir"
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
config="packaging/tauri.deb.generated.json"
DEPENDS="$depends" node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync("packaging/tauri.deb.json", "utf8"));
  c.bundle.linux.deb.depends = process.env.DEPENDS.split(",").map((d) => d.trim()).filter(Boolean);
  fs.writeFileSync(process.argv[1], JSON.stringify(c, null, 2));
' "$config"
# The Tauri CLI needs the app's own manifest next to the config it reads:
# point it at src-tauri (whose tauri.conf.json links to the root one).
TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui \
  packaging/node_modules/.bin/tauri build --ci --bundles deb --config "$config" -- --profile dist >&2
rm -f "$config"
deb="$(ls -t "$target"/dist/bundle/deb/*.deb | head -1)"
bytes="$(stat -c %s "$deb")"
echo "package: $(basename "$deb"): $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)" >&2
echo "$deb"
