#!/usr/bin/env bash
# Two constnet driver binaries side by side: `benches/interleave.sh OLD NEW TIMES WORKLOAD...`.
#
# For each workload, three rounds of OLD then NEW (`<binary> <workload> <TIMES>`, the driver of
# benches/profile.rs), each pinned to the last CPU; prints the minimum time of each binary over
# the rounds (µs) and OLD / NEW (> 1: NEW faster). Interleaving keeps a drift of the machine's
# speed from looking like a change of the code. Copy the old driver away before rebuilding:
#
#     cargo bench -p constnet-benches --bench profile --no-run
#     cp target/release/deps/profile-<hash> /tmp/old     # then change the code and rebuild
#     benches/interleave.sh /tmp/old target/release/deps/profile-<hash> 5 R18t r18t_s4_w
set -euo pipefail
old=$1
new=$2
times=$3
shift 3
cpu=$(($(nproc) - 1))
min_of() { taskset -c "$cpu" "$1" "$2" "$times" 2>&1 | sed -n 's/.*min *\([0-9.]*\) µs.*/\1/p'; }
for w in "$@"; do
    a=""
    b=""
    for _ in 1 2 3; do
        x=$(min_of "$old" "$w")
        y=$(min_of "$new" "$w")
        a=$(awk -v a="${a:-$x}" -v x="$x" 'BEGIN { print (x < a ? x : a) }')
        b=$(awk -v b="${b:-$y}" -v y="$y" 'BEGIN { print (y < b ? y : b) }')
    done
    awk -v w="$w" -v a="$a" -v b="$b" 'BEGIN { printf "%s: old %s µs, new %s µs, old/new %.3f\n", w, a, b, a / b }'
done
