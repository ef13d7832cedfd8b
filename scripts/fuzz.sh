#!/usr/bin/env bash
# Runs every fuzz target of every module for the given time each (default
# 10s). Longer runs: scripts/fuzz.sh 10m. New crashers land in the target's
# testdata/fuzz directory; commit them as regression tests.
#
# The fuzzing engine runs on Go 1.27 (the newest release we support) unless
# GOTOOLCHAIN says otherwise: Go 1.26's coordinator can report "context
# deadline exceeded" for a target when -fuzztime expires while a worker is
# mid-input on a loaded machine, a failure with no failing input
# (golang/go#75804, fixed in Go 1.27). The corpora are still replayed by
# the ordinary tests on both releases.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
echo "fuzzing with $(go env GOVERSION)"
t=${1:-10s}
for dir in $(go list -m -f '{{.Dir}}'); do
  for pkg in $(cd "$dir" && go list ./...); do
    pdir=$(cd "$dir" && go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pdir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
      echo "fuzz $pkg $target ($t)"
      (cd "$pdir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" -parallel 2 . >/tmp/fuzz-$$.log 2>&1) \
        || { cat /tmp/fuzz-$$.log; exit 1; }
    done
  done
done
