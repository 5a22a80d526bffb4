#!/usr/bin/env bash
# Soak test (not in CI): hold one session for MINUTES (default 60) with a
# changing screen, pointer moves, clicks, typing and clipboard round trips,
# and report the host's and the viewer's memory (RSS) and CPU every
# INTERVAL seconds (default 30), then the RSS growth after the warm-up.
#
#   scripts/soak.sh [MINUTES] [INTERVAL]
#
# Everything runs on this machine: a private Xvfb (1920x1080) with an xterm
# printing the time 20 times a second, a rendezvous on 127.0.0.1, a host and
# a viewer (`connect --commands`) from a release build, each on a
# throwaway configuration. Exits 1 if either side's RSS grew more than 5%
# from the end of the warm-up (the first 5 minutes, or a tenth of a shorter
# run) to the end, or if the session ended early; 2 on bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-60}"
interval="${2:-30}"
if ! [[ "$minutes" =~ ^[0-9]+$ && "$interval" =~ ^[0-9]+$ ]] || [ "$minutes" -lt 1 ] || [ "$interval" -lt 1 ]; then
  echo "usage: scripts/soak.sh [MINUTES>=1] [INTERVAL_SECONDS>=1]" >&2
  exit 2
fi

if [ -z "${LATCHKEY_SOAK_NO_SETUP:-}" ]; then
  bash scripts/setup.sh
fi
# LATCHKEY_BIN_DIR: binaries already built (e.g. the .deb's, target/dist).
if [ -n "${LATCHKEY_BIN_DIR:-}" ]; then
  target="$LATCHKEY_BIN_DIR"
else
  cargo build --release --locked -p latchkey-cli
  target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release"
fi
bin="$target/latchkey"
rendezvous="$target/latchkey-rendezvous"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

password='kettle-orbit-cactus-71'
seconds=$((minutes * 60))

# A private X display with a screen that keeps changing (bounded: it stops
# by itself a minute after the soak's end).
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
display=":$(cat "$work/display")"
ticks=$(((seconds + 60) * 20))
DISPLAY="$display" xterm -geometry 200x60+0+0 -e \
  "for i in \$(seq $ticks); do date +%T.%N; sleep 0.05; done" &
pids+=($!)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$rendezvous" --listen "127.0.0.1:$port" >"$work/rendezvous.log" 2>&1 &
pids+=($!)
url="ws://127.0.0.1:$port"
for _ in $(seq 100); do grep -q listening "$work/rendezvous.log" && break; sleep 0.1; done

lk_host() { "$bin" --config-dir "$work/host" --secret-store file "$@"; }
printf '%s\n' "$password" | lk_host password set >/dev/null
lk_host unattended on >/dev/null
# Started directly (not through the functions) so that $! is the process itself.
"$bin" --config-dir "$work/host" --secret-store file host --rendezvous "$url" --display "$display" >"$work/host.log" 2>&1 &
host_pid=$!
pids+=("$host_pid")
id=""
for _ in $(seq 300); do
  id="$(sed -n 's/.*host ready: ID \([0-9 ]*\).*/\1/p' "$work/host.log" | tr -d ' ' | head -1)"
  [ -n "$id" ] && break
  sleep 0.1
done
[ -n "$id" ] || { echo "soak: the host did not register (see $work/host.log)" >&2; exit 1; }

mkfifo "$work/commands"
"$bin" --config-dir "$work/viewer" --secret-store file connect "$id" --rendezvous "$url" --password-stdin --commands --json \
  <"$work/commands" >"$work/answers.jsonl" 2>"$work/viewer.log" &
viewer_pid=$!
pids+=("$viewer_pid")
exec 4>"$work/commands"
printf '%s\n' "$password" >&4
for _ in $(seq 300); do grep -q '"ok"' "$work/answers.jsonl" && break; sleep 0.1; done
grep -q '"ok":true' "$work/answers.jsonl" || { echo "soak: the viewer did not log in:" >&2; cat "$work/viewer.log" "$work/answers.jsonl" >&2; exit 1; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

echo "soak: session $id held for $minutes min; a sample every ${interval}s"
printf '%8s %12s %10s %14s %12s\n' elapsed_s host_rss_kib host_cpu_s viewer_rss_kib viewer_cpu_s
warmup=$(( seconds / 10 < 300 ? seconds / 10 : 300 ))
host_warm=""; viewer_warm=""
start=$(date +%s)
next_sample=0
n=0
while :; do
  now=$(( $(date +%s) - start ))
  [ "$now" -ge "$seconds" ] && break
  if ! kill -0 "$viewer_pid" 2>/dev/null || ! kill -0 "$host_pid" 2>/dev/null; then
    echo "soak: the session ended after ${now}s" >&2
    tail -5 "$work/viewer.log" "$work/host.log" >&2
    exit 1
  fi
  # One round of input a second: two moves and a click, a few keys, a
  # clipboard round trip; the next round waits (up to 30 s) until the last
  # one was answered, so a slow host shows as fewer rounds, not a stall.
  for _ in $(seq 300); do
    [ "$(grep -c '"ok"' "$work/answers.jsonl")" -gt $((n * 6)) ] && break
    sleep 0.1
  done
  n=$((n + 1))
  {
    echo "move $((RANDOM % 1900 + 10)) $((RANDOM % 1060 + 10))"
    echo "move $((RANDOM % 1900 + 10)) $((RANDOM % 1060 + 10))"
    echo "click left"
    echo "type soak"
    echo "clipboard-set soak round $n"
    echo "clipboard-get"
  } >&4
  if [ "$now" -ge "$next_sample" ]; then
    h=$(rss_kib "$host_pid"); v=$(rss_kib "$viewer_pid")
    printf '%8d %12d %10s %14d %12s\n' "$now" "$h" "$(cpu_s "$host_pid")" "$v" "$(cpu_s "$viewer_pid")"
    if [ -z "$host_warm" ] && [ "$now" -ge "$warmup" ]; then host_warm=$h; viewer_warm=$v; fi
    next_sample=$((next_sample + interval))
  fi
  sleep 1
done
echo "quit" >&4
h=$(rss_kib "$host_pid"); v=$(rss_kib "$viewer_pid")
host_warm=${host_warm:-$h}; viewer_warm=${viewer_warm:-$v}
failed=$(grep -c '"ok":false' "$work/answers.jsonl" || true)
answered=$(grep -c '"ok"' "$work/answers.jsonl" || true)
growth() { python3 -c "print(f'{($2 - $1) * 100 / max($1, 1):+.1f}')"; }
echo "soak: $n rounds of input, $answered command answers, $failed refused or failed"
echo "soak: host RSS ${host_warm} KiB after the warm-up (${warmup}s), ${h} KiB at the end ($(growth "$host_warm" "$h")%); CPU $(cpu_s "$host_pid") s"
echo "soak: viewer RSS ${viewer_warm} KiB after the warm-up, ${v} KiB at the end ($(growth "$viewer_warm" "$v")%); CPU $(cpu_s "$viewer_pid") s"
over=$(python3 -c "print(int(($h - $host_warm) * 100 > 5 * $host_warm or ($v - $viewer_warm) * 100 > 5 * $viewer_warm))")
[ "$over" = 0 ] || { echo "soak: RSS grew more than 5% after the warm-up" >&2; exit 1; }
