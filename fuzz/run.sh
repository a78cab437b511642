#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS each (default 60), from any directory:
#   fuzz/run.sh [SECONDS]
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); without them it
# says so in one line and exits 0: the corpora still run on stable as regression tests
# (tests/fuzz_corpus.rs). New inputs go to a scratch directory, not into fuzz/corpus/;
# a crash leaves its input in fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly' || ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: skipped (no nightly toolchain with cargo-fuzz here); the corpora ran as regression tests in tests/fuzz_corpus.rs"
  exit 0
fi
cargo +nightly fuzz build -O
logs=$(mktemp -d)
status=0
for t in $(cargo +nightly fuzz list); do
  scratch=$(mktemp -d)
  if cargo +nightly fuzz run -O "$t" "$scratch" "fuzz/corpus/$t" -- \
      -max_total_time="$secs" -print_final_stats=1 >"$logs/$t.log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$logs/$t.log" | grep -oE '[0-9]+$' || echo '?')
    cov=$(grep -E '^#[0-9]+' "$logs/$t.log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
    echo "fuzz: $t: ${secs}s, $runs execs, $cov, no crash"
  else
    echo "fuzz: $t FAILED; the end of its log:" >&2
    tail -n 60 "$logs/$t.log" >&2
    status=1
  fi
  rm -rf "$scratch"
done
exit $status
