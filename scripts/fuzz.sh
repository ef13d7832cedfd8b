#!/usr/bin/env bash
# Runs every fuzz target of every module for the given time each (default
# 10s). Longer runs: scripts/fuzz.sh 10m. New crashers land in the target's
# testdata/fuzz directory; commit them as regression tests.
set -euo pipefail
cd "$(dirname "$0")/.."
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
