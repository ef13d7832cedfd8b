#!/usr/bin/env bash
# Every static check CI runs (.ci/run calls this script): gofmt over every
# committed Go file, go vet and staticcheck over every module of the
# workspace, and the release script's consistency checks (the modules'
# requirements of each other; see scripts/release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

log "gofmt (every committed Go file)"
bad=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$bad" ]; then
  echo "gofmt needed (run gofmt -w on them):" >&2
  echo "$bad" >&2
  exit 1
fi

log "go vet (every module)"
go vet $(go list -m -f '{{.Dir}}/...')

log "staticcheck (every module)"
# Pinned; installed outside the repository, one directory per version, so
# bumping the pin installs the new one.
staticcheck_version=v0.8.2
staticcheck_bin="${XDG_CACHE_HOME:-$HOME/.cache}/authjwt-ci/staticcheck-$staticcheck_version"
if [ ! -x "$staticcheck_bin/staticcheck" ]; then
  GOBIN="$staticcheck_bin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
"$staticcheck_bin/staticcheck" $(go list -m -f '{{.Dir}}/...')

log "module requirements (scripts/release.sh --check)"
scripts/release.sh --check
