#!/usr/bin/env bash
# `labelterm query --search` and `--freq` beside the jq commands that answer the same
# questions, on the same generated file: bench-data/text-N.json (written by
# `cargo bench --bench query -- N`, which also imports it into bench-data/query-N.db).
#
#   scripts/bench_query_vs_jq.sh [N] [RUNS]      (default 1000000 tasks, 3 runs)
#
# Prints the best time of each, the answers (which must agree) and the ratio. Not part of
# the tests; needs jq and a release build (`cargo build --release`).
set -euo pipefail

n=${1:-1000000}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
json="$root/bench-data/text-$n.json"
db="$root/bench-data/query-$n.db"
bin="$root/target/release/labelterm"

command -v jq >/dev/null || { echo "jq is not installed" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
if [ ! -f "$json" ] || [ ! -f "$db" ]; then
    echo "generate first: cargo bench --bench query -- $n" >&2
    exit 1
fi

# best_of CMD...: runs CMD $runs times, prints its output once to $out and the best
# wall time in seconds to stdout.
best_of() {
    local best="" t0 t1 el
    for _ in $(seq "$runs"); do
        t0=$(date +%s.%N)
        "$@" >"$out"
        t1=$(date +%s.%N)
        el=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$el < $best" | bc -l)" = 1 ]; then best=$el; fi
    done
    echo "$best"
}

compare() {
    local name=$1 lt_t=$2 jq_t=$3
    printf '%-34s labelterm %8.3f s   jq %8.3f s   %6.0fx\n' "$name" "$lt_t" "$jq_t" \
        "$(echo "$jq_t / $lt_t" | bc -l)"
}

out=$(mktemp)
trap 'rm -f "$out" "$out.lt" "$out.jq"' EXIT
echo "$(basename "$json"): $(du -h "$json" | cut -f1), $n tasks; best of $runs runs"

# Search: the ids of tasks whose text holds a word (a review id, in one task).
word=r0500000
lt=$(best_of "$bin" query "$db" --search "$word" --format ids); cp "$out" "$out.lt"
jqt=$(best_of jq -r --arg w "$word" \
    '.[] | select([.data | .. | strings] | any(test("\\b" + $w + "\\b"; "i"))) | input_line_number' "$json")
# jq has no task ids: compare how many tasks each found.
echo "  search $word: labelterm $(wc -l <"$out.lt") task(s), jq $(wc -l <"$out") task(s)"
compare "query --search $word" "$lt" "$jqt"

# Search for a common word: how many tasks hold it.
word=battery
lt=$(best_of "$bin" query "$db" --search "$word" --count); cp "$out" "$out.lt"
jqt=$(best_of jq --arg w "$word" \
    '[.[] | select([.data | .. | strings] | any(test("\\b" + $w; "i")))] | length' "$json")
echo "  search $word: labelterm $(cat "$out.lt") task(s), jq $(cat "$out") task(s)"
compare "query --search $word --count" "$lt" "$jqt"

# Frequency table of the predicted sentiment: tasks per value.
lt=$(best_of "$bin" query "$db" --freq prediction:sentiment --format json); cp "$out" "$out.lt"
jqt=$(best_of jq -c \
    '[.[] | [.predictions[]?.result[]? | select(.from_name == "sentiment") | .value.choices[]?] | unique[]]
     | group_by(.) | map({(.[0]): length}) | add' "$json")
echo "  freq: labelterm $(cat "$out.lt")  jq $(cat "$out")"
compare "query --freq prediction:sentiment" "$lt" "$jqt"

# Frequency table of the model versions.
lt=$(best_of "$bin" query "$db" --freq model --format json); cp "$out" "$out.lt"
jqt=$(best_of jq -c \
    '[.[] | [.predictions[]?.model_version] | unique[]] | group_by(.) | map({(.[0]): length}) | add' "$json")
echo "  freq: labelterm $(cat "$out.lt")  jq $(cat "$out")"
compare "query --freq model" "$lt" "$jqt"
