#!/usr/bin/env bash
# Runs the fuzz targets one after another on nightly, then minimises each corpus.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target defaults to 600 (or $FUZZ_SECONDS); no TARGET means all of them.
# One fuzzer at a time, one job, at low priority: the machine is shared. The fuzzer runs
# in fork mode and keeps going after a crash, timeout or out-of-memory, so every target
# gets its full time; reproducers land in fuzz/artifacts/<target>/ and the log of each
# run in fuzz/logs/<target>.log. Fixed reproducers belong in fuzz/corpus/<target>/,
# which `cargo test --test fuzz_corpora` replays on stable (named as libFuzzer names them,
# so minimising keeps them).
set -euo pipefail

cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-600}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Inputs past 64 KiB add nothing a smaller one would not find, and keep the corpora small.
limits=(-rss_limit_mb=2048 -max_len=65536 -timeout=10)

mkdir -p logs
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="logs/$target.log"
    echo "== $target: ${seconds}s (log: fuzz/$log)"
    start=$(date +%s)
    status=0
    nice -n 10 cargo +nightly fuzz run "$target" -- \
        -max_total_time="$seconds" "${limits[@]}" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    # Minimising keeps what adds coverage; reproducers of fixed findings (crash-*, oom-*,
    # timeout-*, slow-unit-*) stay whatever it decides.
    keep=$(mktemp -d)
    find "corpus/$target" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'slow-unit-*' \) \
        -exec cp {} "$keep/" \;
    nice -n 10 cargo +nightly fuzz cmin "$target" -- "${limits[@]}" >>"$log" 2>&1
    cp "$keep"/. "corpus/$target/" -r
    rm -r "$keep"
    find "corpus/$target" -type f -size +64k -delete
    stats=$(grep -E '^#[0-9]+' "$log" | grep -E 'exec/s' | tail -n 1 || true)
    findings=$(find "artifacts/$target" -type f 2>/dev/null | wc -l)
    echo "   exit $status, ${elapsed}s, corpus $(find "corpus/$target" -type f | wc -l) files," \
        "artifacts $findings"
    echo "   last stats: ${stats:-none}"
done
