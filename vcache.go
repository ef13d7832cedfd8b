package authjwt

import (
	"hash/maphash"
	"sync"

	"github.com/librenz/authjwt/internal/jws"
)

// verifyCache remembers tokens whose signature has been verified, so that a
// client presenting the same ES256/RS256/EdDSA token on every request pays
// for the public-key operation once: our own tokens and those of trusted
// issuers alike, under one rule (Auth.cacheVersion). It is keyed on the
// exact token string, and each entry carries the version of the keys that
// verified it: a changed key set is never served from it. Time, issuer,
// audience, type, revocation and requirement checks still run on every
// hit; only the header, the signature, the payload decoding and a trusted
// issuer's per-token rules (typ, ID-token claims, roles) are skipped.
// Memory is bounded by entry count (FIFO eviction per shard).
type verifyCache struct {
	seed   maphash.Seed
	shards [16]vshard
	per    int
}

type vshard struct {
	mu   sync.RWMutex
	m    map[string]*vEntry
	ring []string
	next int
}

type vEntry struct {
	c   jws.Claims // its strings live in the first Token's buffer, which it keeps
	alg jws.Alg
	ver uint64         // the version of the keys that verified it
	ti  *trustedIssuer // the trusted issuer that verified it, nil for ours
}

func newVerifyCache(size int) *verifyCache {
	per := size / 16
	if per < 1 {
		per = 1
	}
	c := &verifyCache{seed: maphash.MakeSeed(), per: per}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*vEntry, per)
		c.shards[i].ring = make([]string, per)
	}
	return c
}

func (c *verifyCache) shard(tok string) *vshard {
	return &c.shards[maphash.String(c.seed, tok)&15]
}

// get returns the entry of tok, if any; whether it may still be served is
// for Auth.cacheVersion to say.
func (c *verifyCache) get(tok string) *vEntry {
	s := c.shard(tok)
	s.mu.RLock()
	e := s.m[tok]
	s.mu.RUnlock()
	return e
}

func (c *verifyCache) put(tok string, e *vEntry) {
	s := c.shard(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[tok]; ok {
		s.m[tok] = e
		return
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.m, old)
	}
	s.ring[s.next] = tok
	s.next = (s.next + 1) % len(s.ring)
	s.m[tok] = e
}

// keyVersion identifies the current set of our own keys (constant for
// static keys, whose set never changes).
func (a *Auth) keyVersion() uint64 { return a.ring.set.Version() }
