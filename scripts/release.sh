#!/usr/bin/env bash
# Release: tags every publishable module of the repository at one version,
# the way multi-module repositories such as opentelemetry-go do:
#
#   scripts/release.sh v0.2.0    # commit the requirements, tag, print the push
#   scripts/release.sh --check   # only the checks below, on the current tree
#
# The root module is tagged vX.Y.Z, every other publishable module
# <dir>/vX.Y.Z (stores/redisstore/v0.2.0, adapters/authgin/v0.2.0,
# cmd/authjwt/v0.2.0, …). The modules listed in `unpublished` below are
# test-only: they say so in their go.mod and are never tagged.
#
# The scheme: a module's requirement of a sibling names the version being
# released, and go.work serves that version from the checkout during
# development. Before tagging, the script rewrites every requirement of a
# sibling (in every module) and go.work's replace lines to vX.Y.Z and
# commits that, so the tagged commit's go.mod files require exactly the
# tagged siblings.
#
# It refuses to run on a dirty tree, on a version that is not semver (or
# that needs a /vN module path: v2 and later), when a tag it would create
# exists, or when the modules disagree: a publishable module with a
# replace directive, a sibling required at different versions, a module
# that requires an unpublished module, a module that imports a sibling it
# does not require, a go.mod that go.work does not use, or a go.mod
# whose "Not published" comment disagrees with the list below.
#
# It never pushes: it prints the git push command.
set -euo pipefail

usage() {
  echo "usage: scripts/release.sh vX.Y.Z | --check" >&2
  exit 2
}
die() {
  echo "release: $*" >&2
  exit 1
}

# Modules that are never published (directories relative to the root).
unpublished=(
  adapters/chi-example
  bench
  e2e
  examples
  interop
  releasetest
  wstest
)

root=github.com/librenz/authjwt

[ $# -eq 1 ] || usage
version=$1
check_only=false
if [ "$version" = --check ]; then
  check_only=true
  version=
else
  semver='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
  [[ $version =~ $semver ]] || die "$version is not a semantic version (vMAJOR.MINOR.PATCH[-PRERELEASE], no +build)"
  [[ $version =~ ^v[01]\. ]] || die "$version needs /${version%%.*} module paths (major version 2 and later): not supported"
  # Pre-release identifiers that are numeric must not have leading zeros.
  if [[ $version == *-* ]]; then
    IFS=. read -ra ids <<<"${version#*-}"
    for id in "${ids[@]}"; do
      [[ $id =~ ^0[0-9]+$ ]] && die "$version is not a semantic version (pre-release identifier $id has a leading zero)"
    done
  fi
fi

top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || die "not in a git repository"
cd "$top"
export GOWORK="$top/go.work"
[ -f go.work ] || die "no go.work at $top"

if ! $check_only; then
  git rev-parse -q --verify HEAD >/dev/null || die "no commit to tag"
  dirty=$(git status --porcelain --untracked-files=all)
  [ -z "$dirty" ] || die "the working tree is not clean; commit or remove first:
$dirty"
fi

is_unpublished() {
  local d
  for d in "${unpublished[@]}"; do
    [ "$d" = "$1" ] && return 0
  done
  return 1
}

# Every module go.work uses: "path dir" lines, dir relative ("." for the root).
modules=()
dirs=()
while read -r path dir; do
  rel=${dir#"$top"}
  rel=${rel#/}
  modules+=("$path")
  dirs+=("${rel:-.}")
done < <(go list -m -f '{{.Path}} {{.Dir}}')

problems=()
problem() { problems+=("$*"); }

# Every go.mod in the repository (outside testdata) is a module go.work uses.
while read -r f; do
  d=$(dirname "$f")
  found=false
  for u in "${dirs[@]}"; do [ "$u" = "$d" ] && found=true; done
  $found || problem "$f: not used by go.work (add it to go.work, and to the unpublished list if it is test-only)"
done < <(git ls-files '*go.mod' | grep -v '/testdata/' | grep '\(^\|/\)go.mod$')

published_paths=()
published_dirs=()
for i in "${!modules[@]}"; do
  path=${modules[$i]} dir=${dirs[$i]}
  want=$root/$dir
  [ "$dir" = . ] && want=$root
  [ "$path" = "$want" ] || problem "$dir/go.mod: module path $path, want $want (the directory)"
  if is_unpublished "$dir"; then
    grep -q '^// Not published' "$dir/go.mod" || problem "$dir/go.mod: unpublished module without its \"// Not published\" comment"
  else
    grep -q '^// Not published' "$dir/go.mod" && problem "$dir/go.mod: says \"Not published\" but is not in scripts/release.sh's unpublished list"
    published_paths+=("$path")
    published_dirs+=("$dir")
  fi
done
for u in "${unpublished[@]}"; do
  [ -f "$u/go.mod" ] || problem "unpublished list: $u has no go.mod"
done

is_published_path() {
  local p
  for p in "${published_paths[@]}"; do
    [ "$p" = "$1" ] && return 0
  done
  return 1
}

# requires DIR: "path version" for every requirement of a sibling.
requires() {
  go mod edit -print "$1/go.mod" | awk '
    $1 == "require" && $2 == "(" { b = 1; next }
    b && $1 == ")" { b = 0; next }
    b { print $1, $2; next }
    $1 == "require" { print $2, $3 }
  ' | awk -v r="$root" '$1 == r || index($1, r "/") == 1'
}

# replaces DIR: the module paths DIR's go.mod replaces.
replaces() {
  go mod edit -print "$1/go.mod" | awk '
    $1 == "replace" && $2 == "(" { b = 1; next }
    b && $1 == ")" { b = 0; next }
    b { print $1; next }
    $1 == "replace" { print $2 }
  '
}

# sibling_uses: "module sibling" for every sibling module providing a
# package that a workspace module's packages or tests import, directly or
# not (with pruned module graphs the go.mod must require all of them).
sibling_uses() {
  local out
  out=$(go list -deps -test -f '{{.ImportPath}}|{{with .Module}}{{.Path}}{{end}}|{{join .Deps ","}}' \
    $(go list -m -f '{{.Dir}}/...')) || die "go list -deps -test over every module failed (output above)"
  awk -F'|' -v r="$root" '
    function strip(p) { sub(/ \[.*$/, "", p); return p }
    function sib(m) { return m == r || index(m, r "/") == 1 }
    { mod[strip($1)] = $2; n++; ms[n] = $2; ds[n] = $3 }
    END {
      for (i = 1; i <= n; i++) {
        if (!sib(ms[i])) continue
        k = split(ds[i], d, ",")
        for (j = 1; j <= k; j++) {
          m = mod[strip(d[j])]
          if (sib(m) && m != ms[i]) print ms[i], m
        }
      }
    }
  ' <<<"$out" | sort -u
}

# check WANT DEPS: the requirement checks; WANT is the version every
# sibling requirement must name ("" for "one version, whichever"); DEPS
# (true or false) adds the check that imported siblings are required.
check() {
  local want=$1 deps_check=$2 seen= dir path p v r m uses=
  for i in "${!modules[@]}"; do
    path=${modules[$i]} dir=${dirs[$i]}
    if ! is_unpublished "$dir"; then
      while read -r r; do
        [ -n "$r" ] && problem "$dir/go.mod: publishable module replaces $r (consumers ignore replace; go.work wires local development)"
      done < <(replaces "$dir")
    else
      while read -r r; do
        case $r in "$root" | "$root"/*) problem "$dir/go.mod: replaces sibling $r (go.work wires local development)" ;; esac
      done < <(replaces "$dir")
    fi
    local required=" "
    while read -r p v; do
      [ -n "$p" ] || continue
      required+="$p "
      is_published_path "$p" || problem "$dir/go.mod: requires $p, which is not a published module"
      if [ -n "$want" ]; then
        [ "$v" = "$want" ] || problem "$dir/go.mod: requires $p $v, want $want"
      elif [ -z "$seen" ]; then
        seen="$v (first in $dir/go.mod: $p)"
      elif [ "$v" != "${seen%% *}" ]; then
        problem "$dir/go.mod: requires $p $v, but other requirements name ${seen}: siblings must be required at one version"
      fi
    done < <(requires "$dir")
  done
  cur=${seen%% *}
  # go.work serves every published module at that version from its
  # directory (otherwise the go command would fetch the untagged version).
  local v=${want:-$cur} served
  if [ -n "$v" ]; then
    served=$(go work edit -print | awk '
      $1 == "replace" && $2 == "(" { b = 1; next }
      b && $1 == ")" { b = 0; next }
      b && $3 == "=>" { print $1, $2, $4; next }
      $1 == "replace" && $4 == "=>" { print $2, $3, $5 }
    ')
    for i in "${!published_paths[@]}"; do
      p=${published_paths[$i]} dir=${published_dirs[$i]}
      grep -qxF "$p $v ./${dir#.}" <<<"$served" || grep -qxF "$p $v ./$dir" <<<"$served" ||
        problem "go.work: no \"replace $p $v => ./${dir#.}\" line (add it to the replace block)"
    done
  fi
  # Every sibling a module's packages and tests import is required (only
  # once the rest holds: go list needs a workspace that resolves).
  if $deps_check && [ ${#problems[@]} -eq 0 ]; then
    uses=$(sibling_uses)
    for i in "${!modules[@]}"; do
      path=${modules[$i]} dir=${dirs[$i]}
      local required=" "
      while read -r p v; do required+="$p "; done < <(requires "$dir")
      while read -r m p; do
        [ "$m" = "$path" ] || continue
        [[ $required == *" $p "* ]] || problem "$dir: imports packages of $p but its go.mod does not require it"
      done <<<"$uses"
    done
  fi
}

tags=()
if ! $check_only; then
  for dir in "${published_dirs[@]}"; do
    if [ "$dir" = . ]; then tag=$version; else tag=$dir/$version; fi
    git rev-parse -q --verify "refs/tags/$tag" >/dev/null && problem "tag $tag exists"
    tags+=("$tag")
  done
fi

cur=
check "" true
if [ ${#problems[@]} -gt 0 ]; then
  printf 'release: %s\n' "${problems[@]}" >&2
  die "refusing: ${#problems[@]} problem(s) above"
fi
if $check_only; then
  echo "release: ${#published_dirs[@]} publishable modules (${published_dirs[*]}), siblings required at ${cur:-no version}; ${#unpublished[@]} unpublished (${unpublished[*]})"
  exit 0
fi

# Rewrite every requirement of a sibling, and go.work's replace lines.
for dir in "${dirs[@]}"; do
  args=()
  while read -r p v; do
    [ -n "$p" ] && args+=("-require=$p@$version")
  done < <(requires "$dir")
  [ ${#args[@]} -eq 0 ] || go mod edit "${args[@]}" "$dir/go.mod"
done
args=()
while read -r p v; do
  case $p in "$root" | "$root"/*) args+=("-dropreplace=$p@$v") ;; esac
done < <(go work edit -print | awk '
  $1 == "replace" && $2 == "(" { b = 1; next }
  b && $1 == ")" { b = 0; next }
  b && $3 == "=>" { print $1, $2; next }
  $1 == "replace" && $4 == "=>" { print $2, $3 }
')
for i in "${!published_paths[@]}"; do
  args+=("-replace=${published_paths[$i]}@$version=./${published_dirs[$i]#.}")
done
go work edit "${args[@]}"

check "$version" false
if [ ${#problems[@]} -gt 0 ]; then
  printf 'release: %s\n' "${problems[@]}" >&2
  die "after rewriting the requirements: ${#problems[@]} problem(s) above (the tree is left modified: git checkout . to undo)"
fi
go list -m all >/dev/null || die "the workspace does not resolve after rewriting the requirements (git checkout . to undo)"

if [ -n "$(git status --porcelain)" ]; then
  git commit -q -a -m "release $version: modules require $version of each other" \
    -m "Written by scripts/release.sh: every requirement of a sibling module, and go.work's replace lines, name $version (they named ${cur:-no version})."
fi
commit=$(git rev-parse HEAD)
for i in "${!tags[@]}"; do
  git tag -a "${tags[$i]}" -m "${published_paths[$i]} $version" "$commit"
done

branch=$(git rev-parse --abbrev-ref HEAD)
[ "$branch" = HEAD ] && branch=main
echo "release: tagged $(git rev-parse --short "$commit") ($version):"
printf '  %s\n' "${tags[@]}"
echo "release: nothing was pushed. To publish:"
echo "  git push --atomic origin HEAD:$branch ${tags[*]}"
