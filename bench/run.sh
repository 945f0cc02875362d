#!/usr/bin/env bash
# run.sh - runs the benchmarks (make bench runs them all). Each appends its result to
# bench/RESULTS.md and exits non-zero when its target is missed; this script runs every one
# asked for, then prints which missed.
#
#   bench/run.sh                       all five
#   bench/run.sh intake fiscalize      some: intake fiscalize backfill footprint crash
#
# The machine is shared: before each benchmark it waits up to BENCH_QUIET_WAIT seconds (300) for
# the 1-minute load average to fall below BENCH_QUIET_LOAD (half the cores), and goes on anyway
# after that; every result records the load it ran under.
set -uo pipefail
cd "$(dirname "$0")/.."
export FH_BIN=${FH_BIN:-$PWD/build/bench}

declare -A script=([intake]=webhook_intake [fiscalize]=fiscalize [backfill]=backfill
                   [footprint]=footprint [crash]=crash_fault)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(intake fiscalize backfill footprint crash)
for n in "${names[@]}"; do
    [ -n "${script[$n]:-}" ] || { echo "unknown benchmark $n (intake fiscalize backfill footprint crash)"; exit 2; }
done
[ -x "$FH_BIN/fiscalhub" ] && [ -x "$FH_BIN/bench/fh-bench-vsdc-client" ] || {
    echo "no build in $FH_BIN: make bench builds it"; exit 2; }

cores=$(nproc)
limit=${BENCH_QUIET_LOAD:-$(awk -v c="$cores" 'BEGIN { print c / 2 }')}
# Waits up to BENCH_QUIET_WAIT seconds for the 1-minute load average to fall below the limit.
wait_quiet() {
    local deadline=$(( $(date +%s) + ${BENCH_QUIET_WAIT:-300} )) load
    while :; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        awk -v l="$load" -v m="$limit" 'BEGIN { exit !(l < m) }' && return
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "# load average $load is still above $limit: running anyway (the result records it)"
            return
        fi
        echo "# waiting for a quieter machine: load average $load, want < $limit"
        sleep 15
    done
}

missed=()
for n in "${names[@]}"; do
    wait_quiet
    echo "== $n: node bench/${script[$n]}.mjs"
    if ! node "bench/${script[$n]}.mjs"; then
        missed+=("$n")
    fi
done
echo
if [ ${#missed[@]} -gt 0 ]; then
    echo "targets missed or checks failed: ${missed[*]} (see bench/RESULTS.md and bench/README.md)"
    exit 1
fi
echo "all targets met"
