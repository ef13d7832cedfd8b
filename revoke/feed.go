package revoke

import (
	"context"
	"errors"
	"time"
)

// Feed is the optional capability a local replica of the revocation state
// needs (authjwt's Revocation.MaxStaleness): a consistent snapshot of every
// live entry, and the store's change log after it. authjwt finds it by type
// assertion on the [Store]; a store with a feed appends to its log in the
// same atomic step as the revocation itself (a Redis MULTI or script, the
// same SQL transaction), or, where the backend cannot (keys in several
// slots of a Redis Cluster), appends first, so that the log never lacks a
// revocation the store holds.
//
// # The state is a join
//
// Revocations only accumulate: an entry is never removed before its
// expiry, a later revocation of the same id keeps the later expiry, and a
// later subject cutoff keeps the later cutoff. So applying an [Entry]
// twice, or two entries in either order, gives the same state, and a
// replica may see an entry both in a snapshot and in the changes after it.
// Only completeness matters, and that is what a feed proves.
//
// # Freshness is positive knowledge
//
// A call to [Feed.Changes] returns seen: the time, on the local clock of
// the calling process, at which the read its answer rests on was issued
// (taken just before sending it; for a store that polls or waits inside
// Changes, just before the last read). A nil error is the store's promise
// that apply has been called with every change that was in the log when
// that read was served, which happened after seen. So every revocation
// whose revoking call had returned before seen, on any instance sharing
// the store, has been applied, whether or not the call returned any
// change. A replica that checks a token at time c answers from memory only
// when c - seen <= the bound; a revocation acknowledged more than the
// bound before c has then been applied. Only the local clock's rate
// matters; no clocks need to agree.
//
// A store must not return nil early with part of the log (a batch limit):
// it reads on until it has reached the end of the log as it was when a
// read was served, and reports that read's issue time as seen. A store
// that cannot say returns an error.
type Feed interface {
	// Snapshot calls apply with every live entry (entries already expired
	// may be included and are ignored) and returns the cursor after which
	// [Feed.Changes] delivers the changes the snapshot may lack: every
	// change at or before the cursor is reflected in the entries applied.
	// A store reads the cursor before (or atomically with) the entries.
	// seen is the issue time of the first read of the snapshot, as for
	// Changes. apply is called from the calling goroutine only.
	Snapshot(ctx context.Context, apply func(Entry)) (cursor Cursor, seen time.Time, err error)
	// Changes calls apply with every change after the cursor after, in
	// log order, and returns the cursor after the last change applied
	// (after itself when there were none) and seen (see the type's doc).
	// It waits up to wait for a first change when there is none yet, and
	// returns as soon as there is one; it may return sooner with none
	// (a polled store returns after one poll). A wait of zero or less
	// reads once without waiting. It honours ctx.
	//
	// When the log no longer holds every change after the cursor (it was
	// trimmed past it, or the store lost it), Changes returns an error
	// wrapping [ErrFeedTrimmed], and the replica loads a new snapshot.
	// Removing from the log entries that have expired needs no such
	// error: a replica would ignore them anyway. Any other error leaves
	// the cursor valid: the replica calls again (after a reconnect, say)
	// from the same cursor and gets the changes it missed.
	Changes(ctx context.Context, after Cursor, wait time.Duration, apply func(Entry)) (next Cursor, seen time.Time, err error)
}

// Cursor is a position in a store's change log, opaque to its readers:
// a Redis stream id, an SQL row id. Only a cursor a feed returned may be
// passed back to it.
type Cursor string

// ErrFeedTrimmed is wrapped by [Feed.Changes] when the change log no
// longer holds every change after the cursor it was given: the reader must
// load a new [Feed.Snapshot].
var ErrFeedTrimmed = errors.New("revoke: change log trimmed past the cursor; load a snapshot")

// EntryKind says what an [Entry] revokes.
type EntryKind uint8

// The kinds of [Entry], one per Revoke* method of [Store].
const (
	EntryToken   EntryKind = iota + 1 // RevokeToken: ID is the jti
	EntryFamily                       // RevokeFamily: ID is the family id
	EntrySubject                      // RevokeSubject: Issuer, Subject, Cutoff
)

// String returns "token", "family" or "subject".
func (k EntryKind) String() string {
	switch k {
	case EntryToken:
		return "token"
	case EntryFamily:
		return "family"
	case EntrySubject:
		return "subject"
	}
	return "unknown"
}

// Entry is one revocation as a [Feed] delivers it: the arguments of the
// Revoke* call that made it. Expires is the expiry the call passed
// ([Forever] keeps the entry); a reader forgets the entry at that instant
// of the application's clock, never before, as a store does.
type Entry struct {
	Kind EntryKind // what the entry revokes
	// ID is the jti (EntryToken) or the family id (EntryFamily).
	ID string
	// Issuer, Subject and Cutoff (to the millisecond) are those of an
	// EntrySubject: it revokes every token of (Issuer, Subject) issued at
	// or before Cutoff.
	Issuer  string
	Subject string    // see Issuer
	Cutoff  time.Time // see Issuer
	Expires time.Time // see the type's comment
}
