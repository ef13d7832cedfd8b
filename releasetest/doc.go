// Package releasetest holds the repository's release tests, which run
// only with AUTHJWTTEST_CLONE=1 (as .ci/run sets) since each works in a
// fresh clone of the repository's committed state:
//
//   - TestReleaseScript runs scripts/release.sh in a scratch clone: its
//     refusals (not semver, dirty tree, mismatched requirements, a replace
//     in a published module, an existing tag) and a release whose tags
//     (git tag) must name exactly the publishable modules, at one commit
//     whose go.mod files require that version of each other.
//   - TestConsumer releases a test version in a scratch clone, serves the
//     tagged modules from a file-based module proxy (internal/modproxy),
//     and in a module outside the workspace runs `go get` on the core,
//     redisstore and authgin at that version, then builds and runs
//     testdata/consumer against the Redis at 127.0.0.1:6379
//     (AUTHJWT_REDIS_ADDR overrides it).
//
// The module is never published.
package releasetest
