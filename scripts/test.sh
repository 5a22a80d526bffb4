#!/usr/bin/env bash
# Run every check and test Latchkey has: formatting, lints, licenses, unit,
# property and integration tests (including the ones against a real Secret
# Service, which they start themselves). Installs system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo deny (licenses)"
if ! command -v cargo-deny >/dev/null 2>&1; then
  cargo install cargo-deny --locked --version "^0.20"
fi
cargo deny --log-level error check licenses

echo "== cargo test"
cargo test --workspace --locked
