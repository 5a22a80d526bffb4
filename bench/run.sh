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
