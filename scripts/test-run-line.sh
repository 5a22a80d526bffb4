#!/usr/bin/env bash
# The README's headless run line, exactly as written, on a fresh HOME (so a
# fresh configuration and no keyring): `xvfb-run -a dbus-run-session --
# scripts/run.sh` must start the app and give this machine an ID within a
# minute of the app starting. The ID is read with `latchkey status --json`
# on the app's configuration, inside the app's own session bus (taken from
# the app's environment), as a person would see it. Builds first, so the
# minute counts the app, not the compiler. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build) >/dev/null
cargo build --profile dist --locked -p latchkey-app -p latchkey-cli
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/dist"

tmp="$(mktemp -d /tmp/latchkey-run-line.XXXXXX)"
home="$tmp/home"
mkdir -p "$home"
log="$tmp/run.log"
sid=""
# Every process of the run line's session (setsid below): the app, its bus,
# the keyring run.sh started, Xvfb. All started by this script.
in_session() { [ -n "$sid" ] && ps -o pid= -s "$sid" 2>/dev/null || true; }
cleanup() {
  for p in $(in_session); do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in $(in_session); do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test-run-line: FAIL: $*" >&2; echo "--- run.sh output (last 30 lines)" >&2; tail -30 "$log" >&2 || true; exit 1; }

# A fresh user: nothing of this session (no display, no bus, no Latchkey
# settings), a new HOME; the toolchains and package caches stay where they are.
fresh_env=(env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u XDG_CONFIG_HOME -u XDG_DATA_HOME
  -u XDG_CACHE_HOME -u XDG_RUNTIME_DIR -u LATCHKEY_CONFIG_DIR -u LATCHKEY_SECRET_STORE -u XAUTHORITY
  HOME="$home" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  npm_config_cache="${npm_config_cache:-$HOME/.npm}" LATCHKEY_ICE_BIND=127.0.0.1)

echo "== the README's line: xvfb-run -a dbus-run-session -- scripts/run.sh (HOME=$home)"
setsid "${fresh_env[@]}" timeout 600 xvfb-run -a dbus-run-session -- scripts/run.sh >"$log" 2>&1 &
sid=$!

# The app's process: a descendant of that line running the built app.
app_pid=""
deadline=$((SECONDS + 300))
while [ -z "$app_pid" ]; do
  [ $SECONDS -lt $deadline ] || fail "the app did not start within 5 minutes"
  kill -0 "$sid" 2>/dev/null || fail "the run line ended before the app started"
  for p in $(in_session); do
    if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$target/latchkey-app" ]; then app_pid=$p; fi
  done
  sleep 0.5
done
started=$SECONDS
echo "app started (pid $app_pid); waiting for its ID"

bus="$(tr '\0' '\n' <"/proc/$app_pid/environ" | sed -n 's/^DBUS_SESSION_BUS_ADDRESS=//p')"
[ -n "$bus" ] || fail "the app has no session bus"
config="$home/.config/latchkey"
id=""
while [ -z "$id" ]; do
  [ $((SECONDS - started)) -le 60 ] || fail "no ID within a minute of the app starting"
  kill -0 "$app_pid" 2>/dev/null || fail "the app exited"
  if [ -f "$config/settings.json" ]; then
    json="$("${fresh_env[@]}" DBUS_SESSION_BUS_ADDRESS="$bus" "$target/latchkey" --config-dir "$config" status --json 2>/dev/null || true)"
    id="$(printf '%s' "$json" | sed -n 's/.*"device_id":"\([0-9]\{9\}\)".*/\1/p')"
  fi
  [ -n "$id" ] || sleep 1
done
store="$(printf '%s' "$json" | sed -n 's/.*"secret_store":"\([a-z]*\)".*/\1/p')"
echo "test-run-line: ok: ID $id after $((SECONDS - started)) s, secrets in the $store store ($config)"
