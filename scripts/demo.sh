#!/usr/bin/env bash
# A short tour of Latchkey's command line on a throwaway configuration, using
# a real OS keyring (a private Secret Service is started when none is running).
# Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --locked -p latchkey-cli
bin="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/latchkey"

if [ -z "${LATCHKEY_DEMO_INNER:-}" ] && [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # No desktop session: run the tour inside a private one with an unlocked keyring.
  exec env LATCHKEY_DEMO_INNER=1 dbus-run-session -- sh -c \
    'printf "\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec bash "$0"' "$0"
fi

cfg=$(mktemp -d)
cleanup() {
  # Remove the demo's keyring entries too, not only its directory.
  inst=$(sed -n 's/.*"instance": "\([0-9a-f]*\)".*/\1/p' "$cfg/settings.json" 2>/dev/null || true)
  if [ -n "$inst" ] && command -v secret-tool >/dev/null; then
    for name in device-key opaque-server totp totp-pending; do
      secret-tool clear service latchkey username "$inst/$name" 2>/dev/null || true
    done
  fi
  rm -rf "$cfg"
}
trap cleanup EXIT
lk() { echo; echo "\$ latchkey $*"; "$bin" --config-dir "$cfg" "$@"; }

lk status
echo; echo "\$ echo 'Password1' | latchkey password strength"
echo 'Password1' | "$bin" --config-dir "$cfg" password strength
echo; echo "\$ echo 'Password1' | latchkey password set"
echo 'Password1' | "$bin" --config-dir "$cfg" password set || echo "(exit $?: refused, as it should be)"
echo; echo "\$ echo '<a strong password>' | latchkey password set"
echo 'kettle-orbit-cactus-71' | "$bin" --config-dir "$cfg" password set
lk unattended on
lk profile create helpdesk --from screen_sharing
lk profile set helpdesk clipboard on
lk profile show helpdesk
lk interactive never
lk 2fa status
lk status
lk audit
echo
echo "Demo finished; its throwaway configuration is removed. Try: $bin --help"
