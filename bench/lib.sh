# Shared helpers for run.sh and compare.sh (sourced, not executed).

BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
BENCHSTAT_PKG=golang.org/x/perf/cmd/benchstat

# benchstat runs benchstat: $BENCHSTAT if set, else a copy installed once into
# a tool dir outside the repo (AUTHJWT_TOOLS, default ~/.cache/authjwt-bench),
# else `go run pkg@version`.
benchstat() {
	if [ -n "${BENCHSTAT:-}" ]; then
		"$BENCHSTAT" "$@"
		return
	fi
	local dir="${AUTHJWT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/authjwt-bench}/benchstat-$BENCHSTAT_VERSION"
	if [ ! -x "$dir/benchstat" ]; then
		mkdir -p "$dir"
		(cd / && GOWORK=off GOFLAGS= GOBIN="$dir" go install "$BENCHSTAT_PKG@$BENCHSTAT_VERSION") >&2 || true
	fi
	if [ -x "$dir/benchstat" ]; then
		"$dir/benchstat" "$@"
	else
		(GOWORK=off GOFLAGS= go run "$BENCHSTAT_PKG@$BENCHSTAT_VERSION" "$@")
	fi
}

# bench_ops prints the distinct benchmark base names (VerifyHS256, ...) of
# Go benchmark output files, in order of first appearance.
bench_ops() {
	sed -n 's/^Benchmark\([^/ ]*\)\/.*/\1/p' "$@" | awk '!seen[$0]++'
}
