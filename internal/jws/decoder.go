package jws

import (
	"context"
	"crypto"
	"errors"
)

// Errors of the decoder beyond the codec's (see b64.go, header.go). The
// root package maps every one of them to its API errors in one place.
var (
	ErrHeaderTooLarge    = errors.New("header too large")
	ErrSignatureTooLarge = errors.New("signature too large")
	ErrAlgRefused        = errors.New("algorithm not allowed")
	ErrKIDRefused        = errors.New("kid not allowed")
	ErrTypRefused        = errors.New("typ header not allowed")
)

// MaxHeaderSize is the largest decoded JOSE header the decoder reads, in
// bytes: it is decoded on the stack.
const MaxHeaderSize = 512

// Scratch sizes of an Input: payloads and signatures up to these sizes
// (every HMAC, ECDSA and EdDSA signature; the payload of typical tokens)
// are decoded without allocation.
const (
	stackPayloadSize   = 512
	stackSignatureSize = 132 // ES512
)

// DecoderConfig configures a Decoder, once.
type DecoderConfig struct {
	// MaxSize is the largest token read, in bytes (before looking at it).
	MaxSize int
	// TypeClaim is the name of the token-type claim ("" when off).
	TypeClaim string
	// Interned are the claim values the verifier expects (types,
	// issuers, audiences; at most 255): a claim equal to one shares it.
	Interned []string
	// OwnHeaders are the encoded header segments this service writes
	// without extra fields: recognised byte for byte, without decoding.
	OwnHeaders []string
	// PayloadFirst decodes the payload in Open, before the algorithm is
	// judged, for callers that route a token by its (unverified) issuer.
	PayloadFirst bool
}

// Decoder reads compact JWS tokens in the steps of Open (split, header,
// and with PayloadFirst the payload), Verify (algorithm gate, signature
// through a KeyResolver, payload) and Materialize (the claims). It is
// safe for concurrent use.
type Decoder struct {
	maxSize      int
	typeName     string
	interns      []string
	own          []ownHeader
	payloadFirst bool
}

// ownHeader is a header segment the service writes, with what Open takes
// from it (parsed once, by NewDecoder).
type ownHeader struct {
	seg string
	alg Alg
	typ typClass
	kid KID
}

// NewDecoder returns a decoder for cfg. Each own header is parsed once by
// the strict parser.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if len(cfg.Interned) > 255 {
		return nil, errors.New("jws: at most 255 interned values")
	}
	d := &Decoder{maxSize: cfg.MaxSize, typeName: cfg.TypeClaim, interns: cfg.Interned, payloadFirst: cfg.PayloadFirst}
	for _, seg := range cfg.OwnHeaders {
		n := DecodedLen(len(seg))
		if n < 0 {
			return nil, ErrBase64
		}
		raw := make([]byte, n)
		if _, err := Decode(raw, seg); err != nil {
			return nil, err
		}
		hdr, err := ParseHeader(raw)
		if err != nil {
			return nil, err
		}
		oh := ownHeader{seg: seg, alg: hdr.Alg, typ: classifyTyp(&hdr)}
		setKID(&oh.kid, &hdr)
		d.own = append(d.own, oh)
	}
	return d, nil
}

// Input is one token being decoded, with its scratch buffers: declare it
// on the stack (var in jws.Input) and pass it to Open, Verify and
// Materialize in turn. It must not be copied or kept.
//
// It holds no pointer into itself (the header's kid is copied, the payload
// located by its length): a method storing a view of its own buffer into
// it would make escape analysis move the whole Input to the heap. The
// header is not kept: a header we write is known (an ownHeader), and any
// other is decoded into readHeader's own stack buffer, so that the 512
// bytes it needs are zeroed only for those.
type Input struct {
	parts Parts
	alg   Alg
	typ   typClass
	kid   KID
	pn    int    // the payload is pbuf[:pn], or pheap
	pheap []byte // a payload too large for pbuf
	pdone bool   // the payload is decoded
	rc    RawClaims
	pbuf  [stackPayloadSize]byte
	sbuf  [stackSignatureSize]byte
}

// typClass is what a Gate needs of the "typ" header.
type typClass uint8

const (
	typNone typClass = iota // no typ
	typJWT                  // JWT (any letter case, with or without application/)
	typAt                   // at+jwt (likewise)
	typOther
)

// classifyTyp applies RFC 7515 §4.1.9: media types compare
// case-insensitively, and a typ without "/" means the same as with
// "application/" before it.
func classifyTyp(h *Header) typClass {
	if !h.HasTyp {
		return typNone
	}
	t := h.Typ
	if len(t) > len("application/") && asciiEqualFold(t[:len("application/")], "application/") {
		t = t[len("application/"):]
	}
	switch {
	case asciiEqualFold(t, "at+jwt"):
		return typAt
	case asciiEqualFold(t, "jwt"):
		return typJWT
	}
	return typOther
}

// Open splits token and reads its header (and, with PayloadFirst, its
// payload). An unsecured token (empty signature) is refused for its
// algorithm first when its header names none we implement ("none"), as it
// would be with a signature: the header is judged before the signature.
func (d *Decoder) Open(token string, in *Input) error {
	parts, err := Split(token, d.maxSize)
	if err != nil {
		if err == ErrUnsigned {
			if herr := d.readHeader(parts.Header, nil); herr == ErrAlgKnown || herr == ErrNoAlg {
				return herr
			}
		}
		return err
	}
	in.parts = parts
	if oh := d.ownHeader(parts.Header); oh != nil {
		// A header we write: known byte for byte, parsed once by NewDecoder.
		in.alg, in.typ, in.kid = oh.alg, oh.typ, oh.kid
	} else if err := d.readHeader(parts.Header, in); err != nil {
		return err
	}
	if d.payloadFirst {
		return d.decodePayload(in)
	}
	return nil
}

// ownHeader returns the own header whose segment is seg, or nil.
func (d *Decoder) ownHeader(seg string) *ownHeader {
	for i := range d.own {
		if oh := &d.own[i]; oh.seg == seg {
			return oh
		}
	}
	return nil
}

// readHeader decodes and parses a header segment that is not an own
// header, on the stack, strictly, and sets in's algorithm, typ class and
// kid from it (in may be nil: the header is only judged).
func (d *Decoder) readHeader(seg string, in *Input) error {
	var hbuf [MaxHeaderSize]byte
	hn := DecodedLen(len(seg))
	if hn > len(hbuf) {
		return ErrHeaderTooLarge
	}
	if hn < 0 {
		return ErrBase64
	}
	if _, err := Decode(hbuf[:hn], seg); err != nil {
		return err
	}
	hdr, err := ParseHeader(hbuf[:hn])
	if err != nil || in == nil {
		return err
	}
	in.alg, in.typ = hdr.Alg, classifyTyp(&hdr)
	setKID(&in.kid, &hdr) // a copy: hdr's kid is a view of hbuf
	return nil
}

// decodePayload decodes the payload segment into the scratch buffer (or
// new memory when it is larger) and reads its claims as spans.
func (d *Decoder) decodePayload(in *Input) error {
	seg := in.parts.Payload
	pn := DecodedLen(len(seg))
	if pn < 0 {
		return ErrBase64
	}
	if pn > MaxPayloadSize { // unreachable within the root's MaxTokenSize bound, kept as Materialize's precondition
		return ErrTooLarge
	}
	var payload []byte
	if pn <= len(in.pbuf) {
		payload = in.pbuf[:pn]
	} else {
		in.pheap = make([]byte, pn)
		payload = in.pheap
	}
	if _, err := Decode(payload, seg); err != nil {
		return err
	}
	in.pn, in.pdone = pn, true // kept on error too: see Payload
	return ParseSpans(payload, d.typeName, &in.rc)
}

// Alg returns the algorithm the header names (after Open).
func (in *Input) Alg() Alg { return in.alg }

// Issuer returns the unverified "iss" (after Open with PayloadFirst), for
// routing: it is trusted for nothing else.
func (in *Input) Issuer() ([]byte, bool) {
	if in.rc.Has&HasIss == 0 {
		return nil, false
	}
	return in.rc.strs[strIss].Bytes(in.Payload()), true
}

// Payload returns the decoded payload once it is decoded (also when its
// claims were refused), nil before. It is a view of the scratch buffer:
// copy it to keep it.
func (in *Input) Payload() []byte {
	switch {
	case !in.pdone:
		return nil
	case in.pheap != nil:
		return in.pheap
	}
	return in.pbuf[:in.pn]
}

// Gate is what a key resolver accepts of a header before any key is
// looked at.
type Gate struct {
	Allowed [NumAlgs]bool // indexed by Alg
	// KID, when set, is the one kid accepted: a token without it, or with
	// another, is refused (ErrKIDRefused).
	KID string
	// AccessTyp accepts only the "typ" of an access token (explicit
	// typing, RFC 8725 §3.11): at+jwt (RFC 9068 §2.1), JWT, or none; with
	// RequireAt, at+jwt alone. Otherwise any typ, or none, is accepted.
	AccessTyp, RequireAt bool
	// IgnoreRoles drops the payload's "roles" (a trusted issuer's roles
	// come from a claim of its choosing).
	IgnoreRoles bool
}

// typAccepted applies the typ rule.
func (g *Gate) typAccepted(t typClass) bool {
	switch {
	case g.RequireAt:
		return t == typAt
	case g.AccessTyp:
		return t == typNone || t == typJWT || t == typAt
	}
	return true
}

// asciiEqualFold reports whether b equals s (lower-case ASCII) in any ASCII
// letter case; no Unicode folding, so "ſ" or the Kelvin sign never match.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// Key is a key of the codec: an HMAC key (it signs and verifies), or a
// public key (it verifies) and a signer (it signs), either or both.
type Key struct {
	HMAC   *HMACKey         // an HMAC key, bound to its algorithm
	Public crypto.PublicKey // a public key, to verify
	Signer crypto.Signer    // a private key or a KMS, to sign
}

// none reports whether k holds no verification key: a KeyResolver's
// answer when it has no further key to try.
func (k *Key) none() bool { return k.HMAC == nil && k.Public == nil }

// verify checks sig over input under alg.
func (k *Key) verify(alg Alg, input string, sig []byte) error {
	if k.HMAC != nil {
		if k.HMAC.alg != alg {
			return ErrSignature
		}
		return k.HMAC.Verify(input, sig)
	}
	return VerifyPublic(alg, k.Public, input, sig)
}

// kidInline is the longest kid a KID holds without an allocation.
const kidInline = 64

// KID is the header's kid, copied: a KeyResolver gets it by value, so
// that no pointer into the decoder's stack buffers crosses the interface.
type KID struct {
	n       uint16
	present bool
	b       [kidInline]byte
	long    string // a kid longer than kidInline
}

// setKID sets k to h's kid, written in place (a KID is 88 bytes).
func setKID(k *KID, h *Header) {
	k.present, k.n, k.long = h.HasKid, uint16(len(h.Kid)), ""
	if len(h.Kid) > kidInline {
		k.long = string(h.Kid)
	} else {
		copy(k.b[:], h.Kid)
	}
}

// Present reports whether the header has a kid.
func (k *KID) Present() bool { return k.present }

// Bytes returns the kid (a view of k).
func (k *KID) Bytes() []byte {
	if k.long != "" {
		return readOnly(k.long)
	}
	return k.b[:k.n]
}

// String returns the kid as a new string.
func (k *KID) String() string { return string(k.Bytes()) }

// KeyResolver supplies the keys of one verifier: our key ring, or a
// trusted issuer's.
type KeyResolver interface {
	// Gate returns what the verifier accepts of a header.
	Gate() *Gate
	// Key returns the i-th key to try for a token under alg (i from 0, in
	// order, after the previous key did not verify the signature): a
	// zero Key when there is no further key (Verify then refuses the
	// signature), or an error, the resolver's own (an unknown kid, no key
	// at all), which Verify returns as it is.
	Key(ctx context.Context, alg Alg, kid KID, i int) (Key, error)
}

// Verify judges the header by r's Gate, checks the signature with r's
// keys and decodes the payload (unless Open did). A signature that does
// not verify is ErrSignature, or ErrBase64 when the payload segment is
// not base64url (the precise report, computed only then).
func (d *Decoder) Verify(ctx context.Context, in *Input, r KeyResolver) error {
	g := r.Gate()
	alg := in.alg
	if !g.Allowed[alg] {
		return ErrAlgRefused
	}
	if !g.typAccepted(in.typ) {
		return ErrTypRefused
	}
	if g.KID != "" && (!in.kid.present || string(in.kid.Bytes()) != g.KID) {
		return ErrKIDRefused
	}
	sn := DecodedLen(len(in.parts.Signature))
	if sn > MaxSignatureSize && (sn > MaxMLDSASignatureSize || !alg.IsMLDSA()) {
		// Only a signature over MaxSignatureSize looks at its algorithm:
		// an ML-DSA one may be up to MaxMLDSASignatureSize.
		return ErrSignatureTooLarge
	}
	if sn < 0 {
		return ErrBase64
	}
	sig := in.sbuf[:]
	if sn > len(sig) {
		sig = make([]byte, sn) // RSA: its verification costs far more
	}
	sig = sig[:sn]
	if _, err := Decode(sig, in.parts.Signature); err != nil {
		return err
	}
	for i := 0; ; i++ {
		k, err := r.Key(ctx, alg, in.kid, i)
		if err != nil {
			return err
		}
		if k.none() {
			if !ValidAlphabet(in.parts.Payload) {
				return ErrBase64
			}
			return ErrSignature
		}
		if k.verify(alg, in.parts.SigningInput, sig) == nil {
			break
		}
	}
	if g.IgnoreRoles {
		in.rc.DropList(ClaimRoles)
	}
	if !in.pdone {
		return d.decodePayload(in)
	}
	return nil
}

// Materialize reads the claims of a verified Input into c, their strings
// copied into buf (or new memory when they do not fit) with the header's
// kid beside them, so that c retains nothing of in.
func (d *Decoder) Materialize(in *Input, c *Claims, buf []byte) {
	// The header's kid (empty without one) is a view of in: Materialize
	// copies it.
	in.rc.Materialize(in.Payload(), c, buf, &d.interns, bstr(in.kid.Bytes()))
}

// DecodeSegment decodes segment i (0 header, 1 payload) of a compact token
// of at most maxSize bytes into new memory, unverified.
func DecodeSegment(token string, i, maxSize int) ([]byte, error) {
	parts, err := Split(token, maxSize)
	if err != nil {
		return nil, err
	}
	seg := parts.Header
	if i == 1 {
		seg = parts.Payload
	}
	n := DecodedLen(len(seg))
	if n < 0 {
		return nil, ErrBase64
	}
	buf := make([]byte, n)
	if _, err := Decode(buf, seg); err != nil {
		return nil, err
	}
	return buf, nil
}
