#!/usr/bin/env bash
# Fuzz every decoder of outside input: scripts/fuzz.sh SECONDS [TARGET...]
#
# Runs each target (all of them, or those named) for SECONDS, one after the
# other (or FUZZ_JOBS at once), one process each. Needs nightly Rust and
# cargo-fuzz (installed here if missing). What a target finds new goes to a
# scratch corpus under fuzz/target/ (the committed corpus in fuzz/corpus/ is
# read, not grown); a crash lands in fuzz/artifacts/<target>/ and makes this
# script exit 1. Prints, per target, the seconds run and the executions.
#
# Not part of scripts/test.sh: the test suite replays the committed corpora
# instead (crates/fuzz-bodies/tests/replay.rs). A finding, once fixed, gets
# its input committed under fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2
  exit 2
fi
shift

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: nightly Rust is needed (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# cargo-fuzz keeps its own target dir (fuzz/target); a CARGO_TARGET_DIR
# meant for the main workspace would mix toolchains and flags.
unset CARGO_TARGET_DIR

# The same build options for build and run, so a run never rebuilds.
# FUZZ_SANITIZER: address (the default), or none: no AddressSanitizer, a
# build several times faster and runs ~2x as fast; debug assertions and
# overflow checks stay on either way. The code under test is safe Rust but
# for the codec bindings, whose C libraries are not instrumented anyway.
sanitizer="${FUZZ_SANITIZER:-address}"
case "$sanitizer" in
  address|none) ;;
  *) echo "fuzz.sh: FUZZ_SANITIZER must be address or none" >&2; exit 2 ;;
esac
build_opts=(--codegen-units 16 --sanitizer "$sanitizer")

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "== building ${#targets[@]} fuzz targets"
cargo +nightly fuzz build "${build_opts[@]}"

# FUZZ_JOBS=N runs N targets at once (each still for SECONDS of wall time;
# each gets a share of the cores, so fewer executions than alone).
jobs="${FUZZ_JOBS:-1}"
if ! [[ "$jobs" =~ ^[0-9]+$ ]] || [ "$jobs" -lt 1 ]; then
  echo "fuzz.sh: FUZZ_JOBS must be a positive number" >&2
  exit 2
fi

# One target's run; its one-line result goes to fuzz/target/result-<target>.
run_one() {
  local t="$1"
  local scratch="fuzz/target/corpus-run/$t"
  local log="fuzz/target/fuzz-$t.log"
  local result="fuzz/target/result-$t"
  mkdir -p "$scratch" "fuzz/artifacts/$t"
  echo "== $t: ${seconds}s"
  local start rc took execs
  start=$(date +%s)
  set +e
  # libFuzzer stops itself at -max_total_time; `timeout` bounds a hang anyway.
  timeout --signal=KILL "$((seconds + 300))" \
    cargo +nightly fuzz run "${build_opts[@]}" "$t" "$scratch" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "!! $t failed (exit $rc); the end of $log:"
    tail -40 "$log"
    echo "FAILED $t: FAILED after ${took}s, ${execs:-?} executions (see $log, fuzz/artifacts/$t)" >"$result"
  else
    echo "ok $t: ${took}s, ${execs:-?} executions, $(ls "$scratch" | wc -l) inputs in its scratch corpus" >"$result"
  fi
}

running=0
for t in "${targets[@]}"; do
  rm -f "fuzz/target/result-$t"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
summary=()
for t in "${targets[@]}"; do
  line="$(cat "fuzz/target/result-$t" 2>/dev/null || echo "FAILED $t: no result")"
  case "$line" in FAILED*) status=1 ;; esac
  summary+=("${line#* }")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
