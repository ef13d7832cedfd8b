// Package storetest is the conformance suite for [revoke.Store]
// implementations. Every store in this repository runs it from its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) revoke.Store {
//			s := newMyStore(t) // fresh, empty namespace; cleaned up via t.Cleanup
//			return s
//		})
//	}
//
// newStore is called once per subtest and must return a store that sees no
// entries of earlier subtests (a fresh key prefix or table prefix will do);
// it registers its own cleanup with t.Cleanup. The suite uses the real
// clock: the expiry subtests revoke with expiries about one second ahead,
// poll them (an entry seen gone before its expiry fails the store) and
// sleep past them, so the whole suite takes about two seconds plus the
// store's own latency. Consumer tests are skipped for stores that do
// not implement [revoke.Consumer], successor tests for stores that do not
// implement [revoke.SuccessorConsumer].
//
// A store implementing [revoke.Feed] (the change log authjwt's replica,
// Revocation.MaxStaleness, follows) also runs [RunFeed], the replica
// section: snapshot, order, freshness proofs, waits, replay after a
// reconnect, trimming and the snapshot fallback, expiry, and two authjwt
// replicas over one store. Its [FeedHooks] let the store's test break the
// connections and trim the log.
//
// Beside the store-level suite, [RunVerifier], [RunRotationRetry] and
// [RunPaused] check authjwt itself against a store: revoked tokens refused
// for as long as the verifier accepts them by time (retention never
// weaker than acceptance), retry-safe rotation under concurrency, and
// every call bounded by StoreTimeout while the store's server is paused.
package storetest
