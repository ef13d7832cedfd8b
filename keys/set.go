package keys

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Set is a rotating set of keys with exactly one current signer. Reads
// ([Set.Lookup], [Set.Signer], [Set.Keys], [Set.Candidates]) are lock-free:
// they load an immutable snapshot through an atomic pointer, so verification
// never waits for a rotation. Writes are serialised and publish a new
// snapshot. All methods are safe for concurrent use. The zero Set is empty
// and usable, and does not allow tokens without kid.
//
// A typical rotation: Add the new key, publish it (JWKS) for a while,
// SetSigner to it, and Remove the old one once no token signed by it can
// still be valid. For HMAC, the current secret signs and previous secrets
// keep verifying until removed.
type Set struct {
	mu          sync.Mutex // serialises writers
	snap        atomic.Pointer[setSnapshot]
	allowNoKID  bool
	seedAliases bool
}

type setSnapshot struct {
	keys   []Key          // insertion order
	byKID  map[string]Key // keys by kid and by alias
	signer int            // index into keys, or -1
	cands  []Key          // signer first, then newest first (AllowMissingKID only)
	ver    uint64         // increases with every change
}

var emptySnapshot = &setSnapshot{signer: -1}

// SetOption configures a [Set].
type SetOption func(*Set)

// AllowMissingKID lets the set verify tokens without a kid by trying
// candidate keys ([Set.Candidates]), and lets it hold HMAC keys without a
// kid. Without it, a token must name its key.
func AllowMissingKID() SetOption { return func(s *Set) { s.allowNoKID = true } }

// SeedKIDAliases gives every asymmetric key added to the set the kid
// libre-fastapi-jwt stamps for it ([SeedKID]) as an alias, so that the
// set verifies the seed's tokens by kid while signing with the key's own
// KID. Set it for keys shared with a seed service (the compatibility
// profile of authjwt.Config.Compat).
func SeedKIDAliases() SetOption { return func(s *Set) { s.seedAliases = true } }

// NewSet returns an empty set.
func NewSet(opts ...SetOption) *Set {
	s := &Set{}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Set) load() *setSnapshot {
	if p := s.snap.Load(); p != nil {
		return p
	}
	return emptySnapshot
}

// Lookup returns the key with the given kid or alias ([Key.Aliases]). It
// never matches kid "".
func (s *Set) Lookup(kid string) (Key, bool) {
	if kid == "" {
		return Key{}, false
	}
	k, ok := s.load().byKID[kid]
	return k, ok
}

// Version returns a number that changes whenever the set changes (a key
// added, removed or promoted), for caches of verification results.
func (s *Set) Version() uint64 { return s.load().ver }

// Signer returns the current signing key, or the zero Key if there is none.
func (s *Set) Signer() Key {
	p := s.load()
	if p.signer < 0 {
		return Key{}
	}
	return p.keys[p.signer]
}

// Keys returns every key of the set in the order they were added. The slice
// is a copy; the keys share their material with the set and must not be
// modified.
func (s *Set) Keys() []Key { return slices.Clone(s.load().keys) }

// Candidates yields, for a token without kid whose header names alg, the
// keys that accept alg: the current signer first, then the others, newest
// first. It yields nothing unless the set was built with [AllowMissingKID].
func (s *Set) Candidates(alg string) iter.Seq[Key] {
	p := s.load()
	return func(yield func(Key) bool) {
		for _, k := range p.cands {
			if k.Accepts(alg) && !yield(k) {
				return
			}
		}
	}
}

// Add adds k to the set and returns it as stored. An asymmetric key without
// KID gets its RFC 7638 thumbprint as KID; an HMAC key keeps its KID, which
// may be "" only with [AllowMissingKID]. A kid already in the set is an
// error. The key does not sign until made the signer.
func (s *Set) Add(k Key) (Key, error) {
	return s.add(k, false)
}

// AddSigner adds k as [Set.Add] does and makes it the current signer in the
// same step.
func (s *Set) AddSigner(k Key) (Key, error) {
	return s.add(k, true)
}

func (s *Set) add(k Key, makeSigner bool) (Key, error) {
	if err := k.Validate(); err != nil {
		return Key{}, err
	}
	if k.Alg == "" {
		return Key{}, fmt.Errorf("authjwt: key %q has no alg; keys in a Set must be bound to one", k.KID)
	}
	if makeSigner && !k.CanSign() {
		return Key{}, fmt.Errorf("authjwt: key %q cannot sign", k.KID)
	}
	if k.Public == nil && k.Signer != nil {
		k.Public = k.Signer.Public()
	}
	if k.KID == "" && k.Secret == nil {
		kid, err := Thumbprint(k.Public)
		if err != nil {
			return Key{}, err
		}
		k.KID = kid
	}
	k.Aliases = slices.Clone(k.Aliases)
	if s.seedAliases && k.Secret == nil {
		sk, err := SeedKID(k.Public)
		if err != nil {
			return Key{}, err
		}
		if sk != k.KID && !slices.Contains(k.Aliases, sk) {
			k.Aliases = append(k.Aliases, sk)
		}
	}
	// A kid is written into the header of every token the key signs and
	// compared with the kid of tokens, which are valid UTF-8 JSON: a kid
	// that is not could neither sign a verifiable token nor be found.
	if !utf8.ValidString(k.KID) {
		return Key{}, fmt.Errorf("authjwt: key kid %q is not valid UTF-8", k.KID)
	}
	for i, al := range k.Aliases {
		if !utf8.ValidString(al) {
			return Key{}, fmt.Errorf("authjwt: key %q: alias %q is not valid UTF-8", k.KID, al)
		}
		if al == "" {
			return Key{}, fmt.Errorf("authjwt: key %q has an empty alias", k.KID)
		}
		if al == k.KID || slices.Contains(k.Aliases[:i], al) {
			return Key{}, fmt.Errorf("authjwt: key %q lists the kid %q twice", k.KID, al)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.KID == "" && !s.allowNoKID {
		return Key{}, errors.New("authjwt: HMAC key without kid needs a Set built with AllowMissingKID")
	}
	old := s.load()
	if _, dup := old.byKID[k.KID]; dup && k.KID != "" {
		return Key{}, fmt.Errorf("authjwt: a key with kid %q is already in the set", k.KID)
	}
	// An HMAC secret must not be (an encoding of) a public key of the
	// set, which the set's JWKS publishes: checked both ways, whichever
	// key comes first.
	for _, o := range old.keys {
		var err error
		switch {
		case k.Secret != nil && o.Public != nil:
			err = CheckSecret(k.Secret, o.Public)
		case k.Public != nil && o.Secret != nil:
			err = CheckSecret(o.Secret, k.Public)
		}
		if err != nil {
			return Key{}, fmt.Errorf("authjwt: key %q: %w", k.KID, err)
		}
	}
	for _, al := range k.Aliases {
		if _, dup := old.byKID[al]; dup {
			return Key{}, fmt.Errorf("authjwt: key %q: its alias %q already names a key of the set", k.KID, al)
		}
	}
	keys := append(slices.Clone(old.keys), k)
	signer := old.signer
	if makeSigner {
		signer = len(keys) - 1
	}
	s.publish(keys, signer)
	return k, nil
}

// SetSigner makes the key with the given kid the current signer. It must be
// able to sign (a Signer or a Secret).
func (s *Set) SetSigner(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.load()
	i := old.index(kid)
	if i < 0 {
		return fmt.Errorf("authjwt: no key with kid %q in the set", kid)
	}
	if !old.keys[i].CanSign() {
		return fmt.Errorf("authjwt: key %q cannot sign", kid)
	}
	s.publish(old.keys, i)
	return nil
}

// Remove retires the key with the given kid: tokens naming it stop
// verifying. The current signer cannot be removed; make another key the
// signer first.
func (s *Set) Remove(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.load()
	i := old.index(kid)
	if i < 0 {
		return fmt.Errorf("authjwt: no key with kid %q in the set", kid)
	}
	if i == old.signer {
		return fmt.Errorf("authjwt: key %q is the current signer; make another key the signer first", kid)
	}
	s.removeIndexes(old, []int{i})
	return nil
}

// RemoveFunc retires every key, other than the current signer, for which
// remove returns true, and reports how many it removed. It is the way to
// retire HMAC secrets that have no kid.
func (s *Set) RemoveFunc(remove func(Key) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.load()
	var idx []int
	for i, k := range old.keys {
		if i != old.signer && remove(k) {
			idx = append(idx, i)
		}
	}
	if len(idx) > 0 {
		s.removeIndexes(old, idx)
	}
	return len(idx)
}

func (s *Set) removeIndexes(old *setSnapshot, idx []int) {
	keys := make([]Key, 0, len(old.keys)-len(idx))
	signer := -1
	for i, k := range old.keys {
		if slices.Contains(idx, i) {
			continue
		}
		if i == old.signer {
			signer = len(keys)
		}
		keys = append(keys, k)
	}
	s.publish(keys, signer)
}

func (p *setSnapshot) index(kid string) int {
	if kid == "" {
		return -1
	}
	for i, k := range p.keys {
		if k.KID == kid {
			return i
		}
	}
	return -1
}

// publish builds and stores a new snapshot; s.mu must be held.
func (s *Set) publish(keys []Key, signer int) {
	p := &setSnapshot{keys: keys, byKID: make(map[string]Key, len(keys)), signer: signer, ver: s.load().ver + 1}
	for _, k := range keys {
		if k.KID != "" {
			p.byKID[k.KID] = k
		}
		for _, al := range k.Aliases {
			p.byKID[al] = k
		}
	}
	if s.allowNoKID {
		if signer >= 0 {
			p.cands = append(p.cands, keys[signer])
		}
		for i := len(keys) - 1; i >= 0; i-- {
			if i != signer {
				p.cands = append(p.cands, keys[i])
			}
		}
	}
	s.snap.Store(p)
}
