#!/usr/bin/env bash
# compare.sh — compare the benchmarks of two commits with benchstat.
#
#   bench/compare.sh OLD NEW [go test build flags, e.g. -tags authjwt]
#
# OLD and NEW are anything `git rev-parse` takes (HEAD~1, a branch, a sha);
# "." means the current working tree, uncommitted changes included. Each
# commit is checked out with `git worktree add --detach` into a temp dir
# (removed on exit), its bench/ test binary is built once, and the two
# binaries are run interleaved COUNT times with -test.count 1, in ABBA
# order (old, new, new, old, ...), so slow drift of the machine and the
# advantage of running first hit both sides alike. This is
# `go test -run '^$' -bench $BENCH -count $COUNT` per side, interleaved.
# Before timing, each side runs its agreement tests (TestAgreement, ...).
#
# Environment:
#   COUNT=6         runs per side
#   BENCH=.         -bench regexp; e.g. BENCH='/impl=authjwt' to time only
#                   authjwt, BENCH='VerifyHS256|Middleware'
#   BENCHTIME=      -benchtime
#   HARNESS=commit  commit: use each commit's own bench/ directory
#                   current: overlay this working tree's bench/ onto both
#                   commits, so both sides run the same benchmark code
#                   (needed for commits from before bench/ had tests)
#   OUT_DIR=        where old.txt / new.txt are kept (default: new temp dir)
#   BENCHSTAT=      benchstat binary to use (otherwise installed on first use)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

if [ $# -lt 2 ]; then
	sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
old_rev="$1" new_rev="$2"
shift 2

COUNT="${COUNT:-6}"
BENCH="${BENCH:-.}"
HARNESS="${HARNESS:-commit}"
repo="$(git -C "$here" rev-parse --show-toplevel)"
rel="${here#"$repo"/}" # bench
OUT_DIR="${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/authjwt-compare.XXXXXX")}"
mkdir -p "$OUT_DIR"
work="$(mktemp -d "${TMPDIR:-/tmp}/authjwt-worktrees.XXXXXX")"
worktrees=()

cleanup() {
	local wt
	for wt in "${worktrees[@]}"; do
		git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true
	done
	git -C "$repo" worktree prune >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# prepare REV NAME [build flags...]: checkout REV, build $work/NAME.test,
# set dir_NAME to the package directory to run it in, label_NAME to a label.
prepare() {
	local rev="$1" name="$2" root sha label
	shift 2
	if [ "$rev" = "." ]; then
		root="$repo"
		label="worktree"
	else
		sha="$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}")" || {
			echo "compare.sh: not a commit: $rev" >&2
			exit 2
		}
		root="$work/$name"
		git -C "$repo" worktree add --detach --quiet "$root" "$sha"
		worktrees+=("$root")
		label="$(git -C "$repo" rev-parse --short "$sha")"
		if [ "$HARNESS" = current ]; then
			rm -rf "${root:?}/$rel"
			mkdir -p "$root/$rel"
			cp -R "$here/." "$root/$rel/"
		fi
	fi
	if [ ! -d "$root/$rel" ]; then
		echo "compare.sh: $rev has no $rel/ directory (try HARNESS=current)" >&2
		exit 2
	fi
	echo "== $name: $rev ($label): building" >&2
	(cd "$root/$rel" && go test -c -o "$work/$name.test" "$@" .)
	[ -x "$work/$name.test" ] || {
		echo "compare.sh: $rev: $rel has no tests to build" >&2
		exit 2
	}
	echo "== $name: agreement tests" >&2
	(cd "$root/$rel" && "$work/$name.test" -test.count 1 -test.run 'TestAgreement|TestSignersAgree|TestFixturesAreSound' >&2)
	printf -v "dir_$name" '%s' "$root/$rel"
	printf -v "label_$name" '%s' "$label"
}

prepare "$old_rev" old "$@"
prepare "$new_rev" new "$@"
if [ "$label_old" = "$label_new" ]; then
	label_old="old-$label_old" label_new="new-$label_new"
fi

: >"$OUT_DIR/old.txt"
: >"$OUT_DIR/new.txt"
for i in $(seq "$COUNT"); do
	# ABBA: the side that runs first alternates. Run second, a binary was
	# measured 4-8 % slower than the same binary run first (compare.sh
	# fa3dd45 fa3dd45 on the two-core VM), which a fixed order adds to
	# every comparison.
	order="old new"
	[ $((i % 2)) -eq 1 ] || order="new old"
	for name in $order; do
		echo "== run $i/$COUNT: $name" >&2
		dir_var="dir_$name"
		(cd "${!dir_var}" && "$work/$name.test" -test.run '^$' -test.bench "$BENCH" -test.count 1 \
			${BENCHTIME:+-test.benchtime "$BENCHTIME"}) >>"$OUT_DIR/$name.txt"
	done
done

echo
benchstat "$label_old=$OUT_DIR/old.txt" "$label_new=$OUT_DIR/new.txt"
echo
echo "raw results: $OUT_DIR/old.txt $OUT_DIR/new.txt"
