#!/usr/bin/env bash
# instructions.sh — instructions per operation of one benchmark at each
# commit given, counted by callgrind: a number that does not move with the
# machine's load, beside compare.sh's times, which do.
#
#   bench/instructions.sh REV...          e.g. bench/instructions.sh fa3dd45 HEAD
#
# Each REV is checked out with `git worktree add --detach` (removed on
# exit; "." is the working tree), its bench/ test binary is built, and the
# benchmark runs N times under valgrind --tool=callgrind, single-threaded
# and without asynchronous preemption (callgrind cannot follow Go's
# preemption signals). The result is FUNC's inclusive instruction count
# divided by its calls: FUNC is the benchmark's per-operation closure, so
# setup (key generation, New) is not counted.
#
# Environment:
#   BENCH=VerifyHS256                   the benchmark (its impl=authjwt case)
#   FUNC=bench.benchmarkVerify.func1    the function called once per
#                                       operation (the verify benchmarks'
#                                       closure; for another benchmark, find
#                                       its own with callgrind_annotate: an
#                                       inlined one is not in the profile)
#   N=20000                             operations
#   CACHE=1                             also simulate the caches and count
#                                       level-1 instruction-cache misses per
#                                       operation (I1mr): the hot path's code
#                                       footprint, which costs time that the
#                                       instruction count does not show
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
rel="${here#"$repo"/}"
BENCH="${BENCH:-VerifyHS256}"
FUNC="${FUNC:-bench.benchmarkVerify.func1}"
N="${N:-20000}"
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: bench/instructions.sh REV..." >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/authjwt-instr.XXXXXX")"
worktrees=()
cleanup() {
	for wt in "${worktrees[@]}"; do git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true; done
	git -C "$repo" worktree prune >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

CACHE="${CACHE:-}"
sim=()
[ -z "$CACHE" ] || sim=(--cache-sim=yes)
printf '%-12s %14s %10s%s\n' rev "Ir/op" "vs first" "${CACHE:+      I1mr/op}"
first=""
i=0
for rev in "$@"; do
	i=$((i + 1))
	if [ "$rev" = "." ]; then
		root="$repo"
	else
		root="$work/wt$i"
		git -C "$repo" worktree add --detach --quiet "$root" "$rev"
		worktrees+=("$root")
	fi
	(cd "$root/$rel" && go test -c -o "$work/$i.test" .)
	(cd "$root/$rel" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind "${sim[@]}" \
		--callgrind-out-file="$work/$i.cg" "$work/$i.test" -test.run '^$' \
		-test.bench "^Benchmark$BENCH/impl=authjwt\$" -test.benchtime "${N}x" -test.count 1 \
		>/dev/null 2>"$work/$i.err") || { cat "$work/$i.err" >&2; exit 1; }
	line="$(callgrind_annotate --inclusive=yes --tree=none --threshold=100 --show=Ir${CACHE:+,I1mr} "$work/$i.cg" 2>/dev/null |
		grep -F "$FUNC " | head -1)"
	[ -n "$line" ] || { echo "instructions.sh: $FUNC not found in the profile of $rev" >&2; exit 1; }
	# Ir (pct) [I1mr (pct)] name: the closure runs once for b.N=1, then N times.
	per=$(echo "$line" | awk -v n="$N" '{gsub(",", "", $1); printf "%d", $1 / (n + 1)}')
	i1=""
	[ -z "$CACHE" ] || i1=$(echo "$line" | awk -v n="$N" '{gsub(",", "", $3); printf "%13.1f", $3 / (n + 1)}')
	if [ -z "$first" ]; then
		first=$per
		printf '%-12s %14d %10s%s\n' "$rev" "$per" "" "$i1"
	else
		printf '%-12s %14d %+9.1f%%%s\n' "$rev" "$per" "$(awk -v a="$first" -v b="$per" 'BEGIN {print (b - a) * 100 / a}')" "$i1"
	fi
done
