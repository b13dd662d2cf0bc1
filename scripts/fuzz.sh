#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for SECONDS (default 60) and says,
# per target, how long it ran, how many inputs it tried and whether it
# found a crash; exits non-zero if any did. Needs the nightly toolchain
# (installed here) and cargo-fuzz (installed from crates.io when missing).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(signal_json signal_binary spec_dir cel journal_decode)
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked -q || exit 1
fi
failed=0
for t in "${targets[@]}"; do
  log="$(mktemp)"
  start=$(date +%s)
  mkdir -p "work/$t"
  # New inputs go to work/ (ignored by git); corpus/ holds the committed seeds.
  cargo +nightly fuzz run "$t" "work/$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1
  status=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  if [ $status -eq 0 ]; then
    echo "$t: ${took}s, ${execs:-0} inputs, no crash"
  else
    failed=1
    echo "$t: ${took}s, ${execs:-0} inputs, CRASH (exit $status); artifacts in fuzz/artifacts/$t"
    grep -E "panicked|ERROR: libFuzzer|SUMMARY" "$log" | head -5
  fi
  rm -f "$log"
done
exit $failed
