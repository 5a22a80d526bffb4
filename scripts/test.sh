#!/usr/bin/env bash
# Run every check and test Latchkey has: formatting, lints, licenses, unit,
# property and integration tests (including the ones against a real Secret
# Service, which they start themselves), the UI's checks, unit and
# end-to-end tests in Chromium, the real app under Xvfb, the README's
# headless run line on a fresh HOME, and the .deb
# (built, installed on this machine, checked, removed), and, in a booted
# container holding the .deb, the restart with reconnect and the system
# service under a real systemd. Installs system
# packages first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== ui: install and build (the app embeds ui/dist)"
(cd ui && npm ci --no-audit --no-fund && npm run build)

echo "== cargo fmt"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo deny (licenses)"
if ! command -v cargo-deny >/dev/null 2>&1; then
  cargo install cargo-deny --locked --version "^0.20"
fi
cargo deny --log-level error check licenses

echo "== ui: type checks, unit tests, end-to-end in Chromium (mocked IPC)"
(cd ui && npm run check && npm test && npm run e2e)

if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked --version "^2.1"
fi

echo "== cargo test (the end-to-end suites in tests/ run the binaries: build them first)"
cargo build --workspace --bins --locked
cargo test --workspace --locked

echo "== the README's headless run line, on a fresh HOME: an ID within a minute"
bash scripts/test-run-line.sh

echo "== .deb: build it with Tauri's bundler, install it, check it, remove it"
deb="$(bash scripts/package.sh | tail -1)"
bash packaging/test-deb.sh "$deb"

# The container suites are selected with --workspace --test NAME, not -p:
# the same package selection as `cargo test --workspace` above, so the same
# features and no second build of every dependency (~15 min when cold).
echo "== restart with reconnect on a booted machine: the .deb in a systemd-nspawn container"
LATCHKEY_DEB="$(realpath "$deb")" cargo test --workspace --locked --test restart_nspawn -- --ignored

echo "== the system service under a real systemd: enabled by the package, its sandbox, across a reboot"
LATCHKEY_DEB="$(realpath "$deb")" cargo test --workspace --locked --test systemd_nspawn -- --ignored --nocapture

echo "== the login screen: the system service shares LightDM's greeter and follows the user who logs in"
LATCHKEY_DEB="$(realpath "$deb")" cargo test --workspace --locked --test login_screen_nspawn -- --ignored
