package sqlstore

// SetBeforeCommit makes every revoking transaction of s call f between
// writing its change row and committing (tests: commits out of order).
// Call it before s is in use.
func SetBeforeCommit(s *Store, f func()) { s.beforeCommit = f }
