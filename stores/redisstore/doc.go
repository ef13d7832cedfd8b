// Package redisstore is a [revoke.Store], [revoke.Consumer] and
// [revoke.SessionStore] backed by Redis, for deployments where several
// processes share revocations and sessions. It works with any [redis.UniversalClient]: a single node, a Sentinel-managed
// failover client, or a Redis Cluster.
//
// # Key layout
//
// Every key starts with [Options.Prefix] (default "authjwt:"):
//
//	<prefix>t:<jti>                              string: expiry, Unix ms ("0" = Forever)
//	<prefix>f:<family>                           string: expiry, Unix ms ("0" = Forever)
//	<prefix>s:<len(issuer)>:<issuer><subject>    string: "m<cutoff Unix ms>:<expiry Unix ms>"
//	<prefix>u:<jti>                              string: first-use time, Unix ms, then ":<successor>" when one is recorded (Consume, ConsumeWithSuccessor)
//	<prefix>{feed}log                            stream: every revocation, the change feed a replica follows (see [Store.Changes])
//	<prefix>{feed}trim                           string: the largest stream id trimming removed
//
// The issuer's length in decimal keeps (issuer, subject) pairs from
// colliding when concatenated. Each revocation key carries a time to live
// (PEXPIRE) that ends at its entry's expiry on the application's clock
// (relative, so a Redis clock ahead of the application's cannot end it
// early; sub-millisecond expiries round up), and Redis forgets it by
// itself; an entry revoked with
// [revoke.Forever] has no TTL. Writes go through small Lua scripts that
// touch one revocation key each (and the change feed's stream, see below):
// revoking again never shortens a live entry's expiry,
// and a subject's cutoff is never lowered (the script keeps the maximum).
// Consume runs SET NX inside a script that returns the stored first-use
// time to every later caller, so exactly one caller wins across processes.
//
// Subject cutoffs have millisecond resolution, so that a login right after
// "log out everywhere" is not refused. Entries written by earlier versions,
// "<cutoff Unix s>:<expiry Unix ms>" (no "m"), are still read, as the last
// millisecond of their second (they refused the whole second), and are
// rewritten in the new form when the subject is revoked again: no
// migration is needed. During a rolling upgrade, an instance of an earlier
// version that reads a new entry fails its check (503) for that subject
// until it is upgraded: it never accepts a token the entry revokes.
//
// # Sessions
//
// The store is a [revoke.SessionStore]: each login's metadata ("where
// you're signed in") lives in four keys per (issuer, subject), under one
// hash tag so that a script may update them together on a Cluster:
//
//	<prefix>{S<len(issuer)>:<issuer><subject>}c   sorted set (lex): <created><id>, newest first read backwards
//	<prefix>{S<len(issuer)>:<issuer><subject>}e   sorted set: id scored by its expiry, Unix ms (+inf: Forever)
//	<prefix>{S<len(issuer)>:<issuer><subject>}d   hash: id -> <created> then the metadata
//	<prefix>{S<len(issuer)>:<issuer><subject>}u   hash: id -> last use, Unix ms
//
// <created> is the creation time in Unix ms plus 2^63 in 16 hex digits, so
// that byte order is time order and a cursor is a lex bound. The four keys
// live until the subject's latest session expires (a time to live
// relative to the application's clock, none for [revoke.Forever]), and
// every write removes the subject's expired sessions. A session is hidden
// as soon as its family is revoked or its subject's cutoff covers it:
// reads fetch the subject entry and the families' entries (other slots) in
// the same pipelines, two round trips in all (one per node involved on a
// Cluster), and CreateSession deletes the subject's hidden sessions, so a
// subject holds at most the cap plus what was hidden since its last
// login. Sessions of one subject sit on one shard; different subjects
// spread over the cluster.
//
// # Change feed
//
// The store is a [revoke.Feed], which authjwt's replica
// (Revocation.MaxStaleness) follows to answer checks from memory. Every
// revocation is appended to the stream <prefix>{feed}log, whatever the
// configuration of the instances (an instance without a replica still
// logs, so replicas never miss its revocations; instances of versions
// before the feed do not: turn replicas on once every instance runs this
// version). On a single node or through Sentinel the append and the key
// are written by one script, with nothing in between; the append comes
// first, so a key that cannot be written (the script fails, and Redis
// does not roll back what it did) leaves the change in the log, on the
// refusing side. On a Cluster the stream sits in
// one slot (its hash tag) and the keys in others, so the store appends
// first and writes the key second: the log never lacks a revocation the
// keys hold, and a failure in between (the call returns an error) leaves
// replicas refusing a token that direct readers would still accept until
// the application retries. Each append trims the stream to
// [Options.FeedRetention] (default one hour) and marks the largest id it
// removed in <prefix>{feed}trim; a replica behind the mark loads a
// snapshot ([Store.Snapshot]: SCAN of the revocation keys on every
// master, with a cursor a minute before the stream's end so that a
// Cluster's two-step writes are replayed). [Store.Changes] is XREAD
// BLOCK: it returns as soon as a revocation is appended, and every return,
// empty or not, proves the replica has seen every change up to the
// moment it was sent.
//
// # One round trip, and Redis Cluster
//
// IsRevoked reads up to three keys (jti, family, subject) in one pipeline:
// EXISTS, EXISTS, GET. On a single node or through Sentinel that is one
// round trip. On a Cluster the three keys usually hash to different slots;
// go-redis splits the pipeline per node and sends the parts concurrently,
// so a check costs one round trip to each node involved (at most three),
// in parallel.
//
// The alternative — one hash tag for the whole store, for instance a
// prefix of "{authjwt}:" so that every key lands in one slot and a Lua
// script can read all three atomically — would make every check exactly
// one request, but would put all revocation traffic and memory on one
// shard, which defeats the point of a cluster for a check that runs on
// every request. The default layout therefore spreads keys over the
// cluster; atomicity across the three reads is not needed, since each key
// answers independently. A deployment that prefers the single-shard layout
// may still choose a prefix with a hash tag: nothing else changes.
//
// # Timeouts
//
// Every call honours its context; [Options.Timeout] adds a per-call limit.
// go-redis applies context deadlines to socket I/O only when the client is
// built with ContextTimeoutEnabled: true (recommended). For a client
// without it (or of an unknown type) the store enforces the deadline
// itself by waiting for the call in a goroutine, which returns on time
// but leaves the abandoned command to the client's own ReadTimeout.
// Errors from Redis wrap [revoke.ErrUnavailable].
//
// # Client settings
//
// The client is the application's; these settings suit a store asked on
// every request:
//
//   - PoolSize and MaxActiveConns: go-redis opens 10 connections per CPU
//     and, without MaxActiveConns, more on demand without bound. Bound
//     both (authjwt serve uses 32 per node); a check holds a connection
//     for one round trip, so (checks per second) x (round-trip time), with
//     room for bursts, is enough. A check is a pipeline, which go-redis
//     runs on a separate pool of PipelinePoolSize (10) connections beyond
//     MaxActiveConns; PipelinePoolSize: -1 keeps pipelines in the bounded
//     pool (authjwt serve does).
//   - DialTimeout: a dial made for a request is bounded by its context;
//     background dials (pool refills, a Sentinel's master lookup) by
//     DialTimeout (authjwt serve: 2 s).
//   - Cluster: ClusterStateReloadInterval defaults to 60 s, which left
//     most checks failing for about fifty seconds after a master failover
//     in a test; one second cut that to about three. Keep ReadOnly,
//     RouteByLatency and RouteRandomly off (and, for a failover client,
//     ReplicaOnly): a replica may not have a revocation the master just
//     took.
//   - Durability: with persistence off (appendonly no) a Redis restart
//     forgets every revocation. Run Redis with appendonly yes.
package redisstore
