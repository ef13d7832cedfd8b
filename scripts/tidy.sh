#!/usr/bin/env bash
# Runs `go mod tidy` in every module (or in the module directories given),
# the way it has to run in this repository: a module's requirements of its
# siblings name the version being released, which is not tagged yet during
# development, and `go mod tidy` and `go get` ignore go.work. So for the
# duration of the command each module gets a temporary replace of every
# sibling at that version by its directory in this checkout, removed
# afterwards (even on failure).
#
#   scripts/tidy.sh                       # every module
#   scripts/tidy.sh releasetest           # one module
#   scripts/tidy.sh -- go get golang.org/x/mod@v0.43.0   (in the current module)
set -euo pipefail
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
root=github.com/librenz/authjwt
here=$PWD

cmd=(go mod tidy)
dirs=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then
    shift
    cmd=("$@")
    dirs=("$(realpath --relative-to="$top" "$here")")
    break
  fi
  dirs+=("$1")
  shift
done
cd "$top"
if [ ${#dirs[@]} -eq 0 ]; then
  while read -r d; do
    rel=$(realpath --relative-to="$top" "$d")
    dirs+=("$rel")
  done < <(GOWORK="$top/go.work" go list -m -f '{{.Dir}}')
fi

# The published siblings and the version go.work serves them at.
mapfile -t sibs < <(go work edit -print | awk -v r="$root" '
  $1 == "replace" && $2 == "(" { b = 1; next }
  b && $1 == ")" { b = 0; next }
  b && $3 == "=>" && ($1 == r || index($1, r "/") == 1) { print $1 "@" $2 "=" $4 }
')

for d in "${dirs[@]}"; do
  [ -f "$top/$d/go.mod" ] || { echo "tidy: $d has no go.mod" >&2; exit 1; }
  self=$(go mod edit -print "$top/$d/go.mod" | awk '$1 == "module" { print $2 }')
  add=() drop=()
  for s in "${sibs[@]}"; do
    [ "${s%%@*}" != "$self" ] || continue
    target=$(realpath --relative-to="$top/$d" "$top/${s#*=}")
    case $target in .*) ;; *) target=./$target ;; esac
    add+=("-replace=${s%%=*}=$target")
    drop+=("-dropreplace=${s%%=*}")
  done
  (
    cd "$top/$d"
    trap 'go mod edit "${drop[@]}"' EXIT
    go mod edit "${add[@]}"
    echo "tidy: $d: ${cmd[*]}"
    GOWORK=off "${cmd[@]}"
  )
done
