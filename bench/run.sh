#!/usr/bin/env bash
# Run the benchmarks in release mode and print their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --release --locked -p latchkey-cli -p latchkey-bench
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release"
"$target/password-cost" "${1:-7}" "$target/latchkey"
echo
"$target/connect-time" "${2:-20}" "$target/latchkey"
echo
"$target/desktop-stream" "$target/latchkey" "${3:-10}"
echo
"$target/frame-path" "${4:-10}"
echo
"$target/sound-latency" "$target/latchkey" "${7:-50}"
echo
# OpenSSH's server for the file-transfer reference, unpacked (not installed:
# an installed openssh-server would start listening on port 22).
openssh="${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-bench/openssh"
if [ ! -x "$openssh/usr/sbin/sshd" ]; then
  apt-get install -y -o DPkg::Lock::Timeout=600 openssh-client libwrap0
  debs="$(mktemp -d)"
  (cd "$debs" && apt-get download openssh-server openssh-sftp-server)
  mkdir -p "$openssh"
  for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$openssh"; done
  rm -rf "$debs"
fi
"$target/file-transfer" "$target/latchkey" "$openssh" "${5:-1024}" "${6:-10000}"
echo
# The rendezvous under load: 1 node on SQLite, 1 on Redis, 3 on one Redis.
cargo build --release --locked -p latchkey-load
"$target/rendezvous-load" --hosts "${8:-100000}"
