#!/usr/bin/env bash
# load-wrk.sh — the load comparison of TestLoad (load_test.go) with wrk, a C
# load generator, instead of a Go client: the reference server on loopback,
# /healthz against /protected (HS256 header token, memory denylist on), at
# concurrency 64, in paired rounds of alternating order (ABBA), judged by the
# median of the rounds' ratios.
#
#   bench/load-wrk.sh
#
# Environment:
#   ROUNDS=12     paired rounds
#   DURATION=2s   wrk's -d for each run (wrk runs for a duration, not a count)
#   THREADS=2     wrk's -t
#
# Needs wrk (Debian: apt-get install wrk) and curl. Loopback only; it stops
# by itself after ROUNDS*2 runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ROUNDS="${ROUNDS:-12}"
DURATION="${DURATION:-2s}"
THREADS="${THREADS:-2}"
for tool in wrk curl; do
	command -v "$tool" >/dev/null || { echo "load-wrk.sh needs $tool" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/authjwt-load.XXXXXX")"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
(cd "$here/.." && go build -o "$work/authjwt" ./cmd/authjwt)

# A loopback port below Linux's ephemeral range that nothing listens on (a
# connection attempt is refused); the server's start is checked below.
port=$((20000 + RANDOM % 10000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
env $(env | sed -n 's/^\(AUTHJWT_[A-Z0-9_]*\)=.*/-u \1/p') \
	AUTHJWT_SECRET_KEY=load-test-secret-load-test-secret-0123 \
	"$work/authjwt" serve --addr "127.0.0.1:$port" >/dev/null 2>"$work/server.log" &
pid=$!
base="http://127.0.0.1:$port"
for i in $(seq 100); do
	curl -sf -o /dev/null "$base/healthz" && break
	[ "$i" = 100 ] && { echo "server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
	sleep 0.05
done
token="$(curl -sf -X POST -H 'Content-Type: application/json' \
	-d '{"username":"alice","password":"secret"}' "$base/login" |
	sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"
[ -n "$token" ] || { echo "no token from /login" >&2; exit 1; }
# The token must be accepted, or wrk would time error responses.
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/protected")" = 200 ] ||
	{ echo "/protected refused the token" >&2; exit 1; }

# run PATH [HEADER]: prints "rps p99" for one wrk run, and fails on any
# non-2xx response or socket error.
run() {
	local out
	out="$(wrk -t"$THREADS" -c64 -d"$DURATION" --latency ${2:+-H "$2"} "$base$1")"
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		echo "$1: errors under load:" >&2
		echo "$out" >&2
		exit 1
	fi
	awk '/Requests\/sec/ {rps=$2} $1=="99%" {p99=$2} END {print rps, p99}' <<<"$out"
}
auth="Authorization: Bearer $token"
run /healthz >/dev/null # warm up
run /protected "$auth" >/dev/null
ratios=()
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		read -r h h99 < <(run /healthz)
		read -r p p99 < <(run /protected "$auth")
	else
		read -r p p99 < <(run /protected "$auth")
		read -r h h99 < <(run /healthz)
	fi
	ratio="$(awk -v p="$p" -v h="$h" 'BEGIN {printf "%.1f", 100 * p / h}')"
	ratios+=("$ratio")
	printf 'round %2d: /healthz %8.0f req/s (p99 %s)  /protected %8.0f req/s (p99 %s)  %s %%\n' \
		"$r" "$h" "$h99" "$p" "$p99" "$ratio"
done
median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')"
echo "wrk -t$THREADS -c64 -d$DURATION, $ROUNDS paired rounds: /protected / /healthz, median of the rounds' ratios $median %"
awk -v m="$median" 'BEGIN {exit !(m >= 85)}' || { echo "below 85 %" >&2; exit 1; }
