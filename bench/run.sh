#!/usr/bin/env bash
# run.sh — run every benchmark of this module and print the per-implementation
# comparison with benchstat.
#
#   bench/run.sh [extra go test flags...]
#
# Environment:
#   COUNT=6        rounds, one run of each benchmark per round (benchstat wants
#                  >= 6 samples for confidence)
#   BENCH=.        -bench regexp, e.g. BENCH='VerifyHS256|Middleware'
#   BENCHTIME=     -benchtime (default: go test's 1s)
#   OUT=           where to keep the raw output (default: a temp file, path printed)
#   VIEW=cols      cols: one table per operation, a column per impl, each
#                  compared with the first impl (authjwt once enabled)
#                  rows: one narrow table per operation, a row per impl
#   BENCHSTAT=     benchstat binary to use (otherwise installed on first use)
#
# Sub-benchmarks are named impl=<name> (BenchmarkVerifyHS256/impl=golang-jwt)
# so that benchstat sees "impl" as a name key: `-col /impl` / `-row /impl`
# project on it. A bare /golang-jwt component would only be part of .name.
#
# While authjwt_test.go still has its build tag, include authjwt with:
#   bench/run.sh -tags authjwt
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
cd "$here"

COUNT="${COUNT:-6}"
BENCH="${BENCH:-.}"
VIEW="${VIEW:-cols}"
OUT="${OUT:-$(mktemp "${TMPDIR:-/tmp}/authjwt-bench.XXXXXX.txt")}"

# The guard first: no benchmark may time a path that skips a check.
echo "== agreement tests" >&2
go test -count=1 -run 'TestAgreement|TestSignersAgree|TestFixturesAreSound' "$@" . >&2

# Rounds, not -count: each round runs every implementation once, so the
# implementations of one operation are timed seconds apart, and the VM's
# drift (10-20 % over a minute here) hits all of them alike instead of
# whichever ran during a slow phase. benchstat reads the repeated lines as
# COUNT samples per benchmark, as with -count.
bin="$(mktemp -d "${TMPDIR:-/tmp}/authjwt-bench-bin.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
go test -c -o "$bin/bench.test" "$@" .
: > "$OUT"
for i in $(seq "$COUNT"); do
	echo "== round $i/$COUNT -> $OUT" >&2
	"$bin/bench.test" -test.run '^$' -test.bench "$BENCH" -test.count 1 -test.benchmem \
		${BENCHTIME:+-test.benchtime "$BENCHTIME"} | tee -a "$OUT" >&2
done

echo
for op in $(bench_ops "$OUT"); do
	echo "### $op"
	case "$VIEW" in
	rows) benchstat -filter ".name:$op" -row /impl -col .file "$OUT" ;;
	*)    benchstat -filter ".name:$op" -col /impl "$OUT" ;;
	esac
	echo
done
echo "raw results: $OUT"
