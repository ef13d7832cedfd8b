#!/usr/bin/env bash
# Runs exactly the test command written in README.md (extracted from
# between the <!-- test-command --> markers, so the two cannot drift):
# every test of every module of the workspace. Tests that need Redis,
# PostgreSQL, MariaDB or Chromium skip when those are absent, unless
# AUTHJWTTEST_REQUIRE_SERVICES=1 (as .ci/run sets).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=$(sed -n '/<!-- test-command -->/,/<!-- \/test-command -->/p' README.md | sed -n '/^```/,/^```/p' | sed '1d;$d')
[ -n "$cmd" ] || { echo "no test command found in README.md" >&2; exit 1; }
echo "$cmd"
bash -euo pipefail -c "$cmd"
