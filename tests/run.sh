#!/usr/bin/env bash
# run.sh - the whole suite (make test). Runs every suite and sums the results:
#   C unit suites                         release and ASan+UBSan builds
#   C store suites (store, jobs)          release and ASan+UBSan builds x SQLite and PostgreSQL
#   API end-to-end suites (node)          ASan+UBSan server on SQLite, release server on PostgreSQL,
#                                         the two side by side
#   browser suites (node + chromium)      release server on SQLite
# Every suite speaks TAP; a test is a top-level "ok" / "not ok" line. The last line printed is
# "N passed, N failed", after each failing test's name and error; the exit status is non-zero
# when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RELEASE=$ROOT/build/release
ASAN=$ROOT/build/asan
OUT=$ROOT/tests/out
rm -rf "$OUT"
mkdir -p "$OUT"
export FISCALHUB_PWHASH=fast
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lib/lsan.supp}

passed=0
failed=0
failures=()
failure_logs=()

# Counts the top-level TAP results of a log; a suite that exits non-zero without reporting a
# failure counts as one failure itself (a crash, a sanitizer report, a missing binary).
tally() {
    local name=$1 log=$2 status=$3
    local ok nok skip
    ok=$(grep -E '^ok ' "$log" | grep -vcE '# (SKIP|skip)' || true)
    nok=$(grep -E '^not ok ' "$log" | grep -vcE '# (SKIP|skip)' || true)
    skip=$(grep -E '^(not )?ok .*# (SKIP|skip)' "$log" | wc -l)
    if [ "$status" -ne 0 ] && [ "$nok" -eq 0 ]; then
        nok=1
        echo "  $name exited with status $status without a failing test; see $log"
    fi
    passed=$((passed + ok))
    failed=$((failed + nok))
    if [ "$nok" -gt 0 ]; then
        failures+=("$name ($log)")
        failure_logs+=("$log")
    fi
    if [ "$skip" -gt 0 ]; then
        printf '%-46s %4d passed %4d failed (%d not applicable here)\n' "$name" "$ok" "$nok" "$skip"
    else
        printf '%-46s %4d passed %4d failed\n' "$name" "$ok" "$nok"
    fi
}

suite_log() { echo "$OUT/$(echo "$1" | tr ' /:' '___').log"; }

run_suite() {
    local name=$1
    shift
    local log
    log=$(suite_log "$name")
    "$@" >"$log" 2>&1
    tally "$name" "$log" $?
}

# ---- PostgreSQL for the store suites and the PostgreSQL e2e run ----
PGDIR=$(mktemp -d /tmp/fh-pg-XXXXXX)
rmdir "$PGDIR"
PGPORT=${FH_TEST_PG_PORT:-55432}
if ! PG_URL=$(scripts/pg-test.sh start "$PGDIR" "$PGPORT" 2>"$OUT/pg.log"); then
    echo "could not start PostgreSQL; see $OUT/pg.log"
    cat "$OUT/pg.log"
    PG_URL=
fi
cleanup() { [ -n "$PG_URL" ] && scripts/pg-test.sh stop "$PGDIR" >/dev/null 2>&1; }
trap cleanup EXIT

for b in release asan; do
    dir=$ROOT/build/$b
    for t in "$dir"/tests/unit/test_*; do
        [ -f "$t" ] && [ -x "$t" ] && run_suite "unit $(basename "$t") [$b]" "$t"
    done
    for t in "$dir"/tests/store/test_*; do
        { [ -f "$t" ] && [ -x "$t" ]; } || continue
        run_suite "store $(basename "$t") sqlite [$b]" env DATABASE_URL="$OUT/$b-$(basename "$t").db" "$t"
        if [ -n "$PG_URL" ]; then
            run_suite "store $(basename "$t") postgres [$b]" env DATABASE_URL="$PG_URL" "$t"
        else
            echo "not ok 1 - PostgreSQL did not start" >"$OUT/pg-missing.log"
            tally "store $(basename "$t") postgres [$b]" "$OUT/pg-missing.log" 1
        fi
    done
done

# ---- end-to-end API suites (node), each spawning its own servers ----
# The two runs go side by side: each file waits on servers and partners most of its time (one
# run alone keeps about half a core busy), and every server, store and port is its own.
E2E_SQLITE="e2e api sqlite [asan]"
E2E_PG="e2e api postgres [release]"
env FH_BIN="$ASAN" FH_DATABASE=sqlite FH_OUT="$OUT" \
    node --test --test-reporter=tap --test-concurrency=1 tests/e2e/ >"$(suite_log "$E2E_SQLITE")" 2>&1 &
sqlite_pid=$!
if [ -n "$PG_URL" ]; then
    env FH_BIN="$RELEASE" FH_DATABASE="$PG_URL" FH_OUT="$OUT" \
        node --test --test-reporter=tap --test-concurrency=1 tests/e2e/ >"$(suite_log "$E2E_PG")" 2>&1 &
    pg_pid=$!
fi
wait "$sqlite_pid"
tally "$E2E_SQLITE" "$(suite_log "$E2E_SQLITE")" $?
if [ -n "$PG_URL" ]; then
    wait "$pg_pid"
    tally "$E2E_PG" "$(suite_log "$E2E_PG")" $?
fi

# ---- browser suites ----
run_suite "browser [release]" env FH_BIN="$RELEASE" FH_OUT="$OUT" node tests/lib/with-server.mjs \
    node --test --test-reporter=tap --test-concurrency=1 tests/browser/

# ---- every fiscalhub log of the runs above, at level info: no secret in any ----
run_suite "logs hold no secrets" node tests/lib/log-audit.mjs "$OUT"

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failing suites:"
    for i in "${!failures[@]}"; do
        echo "  ${failures[$i]}"
        report=$(awk -f tests/lib/tap-failures.awk "${failure_logs[$i]}")
        if [ -n "$report" ]; then
            echo "$report"
        else
            tail -n 15 "${failure_logs[$i]}" | sed 's/^/    | /'
        fi
    done
    echo
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
