package authjwt

// Resource limits (issue 8 §4): token size, header size, signature size,
// JSON depth, and the work and memory a rejected token costs. The limits
// are documented in SECURITY.md and docs/security.md.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"github.com/librenz/authjwt/internal/jws"
)

// padTo returns a signed HS256 token whose total length is exactly n, by
// growing a custom claim (n must leave room for the base claims).
func padTo(t testing.TB, now int64, n int) string {
	t.Helper()
	H := enc(`{"alg":"HS256"}`)
	pl := func(pad int) string {
		return fmt.Sprintf(`{"sub":"alice","exp":%d,"type":"access","x":"%s"}`, now+900, strings.Repeat("a", pad))
	}
	// Token length is len(H)+1+EncodedLen(len(payload))+1+43: start a
	// little below the pad that fits and walk up.
	start := max(0, (n-len(H)-45)*3/4-len(pl(0))-4)
	for pad := start; pad < n; pad++ {
		tok := hs256(H, enc(pl(pad)))
		if len(tok) == n {
			return tok
		}
		if len(tok) > n {
			break
		}
	}
	t.Fatalf("no token of length %d", n)
	return ""
}

// TestLimitTokenSize: MaxTokenSize (default 8 KiB) is inclusive, checked
// before anything else, and reported with its own code.
func TestLimitTokenSize(t *testing.T) {
	clk, now := atkClock()
	for _, max := range []int{0, 1024, 64 << 10} {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, MaxTokenSize: max})
		limit := a.Config().MaxTokenSize
		if max == 0 && limit != 8<<10 {
			t.Fatalf("default MaxTokenSize %d", limit)
		}
		at := padTo(t, now, limit)
		if _, err := a.Verify(context.Background(), at, Requirement{}); err != nil {
			t.Fatalf("token of exactly %d bytes refused: %v", limit, err)
		}
		over := padTo(t, now, limit+1)
		_, err := a.Verify(context.Background(), over, Requirement{})
		if !errors.Is(err, ErrTokenTooLarge) || AsError(err).Code != CodeTokenTooLarge {
			t.Fatalf("token of %d bytes: %v", limit+1, err)
		}
		// The limit comes first: an over-long string of garbage is a size
		// error, not a format error.
		if _, err := a.Verify(context.Background(), strings.Repeat("%", limit+1), Requirement{}); !errors.Is(err, ErrTokenTooLarge) {
			t.Fatalf("garbage over the limit: %v", err)
		}
	}
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, MaxTokenSize: 255}); err == nil {
		t.Fatal("MaxTokenSize below 256 accepted")
	}
	// Above 64 KiB a payload could outgrow what a Token's claims can
	// locate (jws.MaxPayloadSize): refused at New, naming the setting.
	if _, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, MaxTokenSize: 64<<10 + 1}); err == nil || !strings.Contains(err.Error(), "MaxTokenSize") {
		t.Fatalf("MaxTokenSize above 64 KiB: %v", err)
	}
}

// TestLimitHeaderAndSignatureSize: the JOSE header is decoded into a
// 512-byte stack buffer and the signature into 1024 bytes (RSA-8192 fits);
// anything larger is refused before any signature work.
func TestLimitHeaderAndSignatureSize(t *testing.T) {
	clk, now := atkClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, MaxTokenSize: 64 << 10})
	P := enc(accessPayload(now))
	header := func(n int) string {
		h := `{"alg":"HS256","x":"` + strings.Repeat("h", n-len(`{"alg":"HS256","x":""}`)) + `"}`
		if len(h) != n {
			t.Fatalf("header %d bytes", len(h))
		}
		return h
	}
	if _, err := a.Verify(context.Background(), hs256(enc(header(512)), P), Requirement{}); err != nil {
		t.Fatalf("512-byte header refused: %v", err)
	}
	if _, err := a.Verify(context.Background(), hs256(enc(header(513)), P), Requirement{}); !errors.Is(err, ErrMalformedToken) {
		t.Fatalf("513-byte header: %v", err)
	}
	base := hs256(enc(`{"alg":"HS256"}`), P)
	in := base[:strings.LastIndexByte(base, '.')]
	for n, want := range map[int]error{1024: ErrInvalidSignature, 1025: ErrMalformedToken, 40000: ErrMalformedToken} {
		if _, err := a.Verify(context.Background(), in+"."+b64.EncodeToString(make([]byte, n)), Requirement{}); !errors.Is(err, want) {
			t.Errorf("%d-byte signature: %v, want %v", n, err, want)
		}
	}
}

// TestLimitJSONDepth: nesting deeper than jws.MaxDepth is refused in the
// header and in the payload (after the signature), and the boundary is
// exact.
func TestLimitJSONDepth(t *testing.T) {
	clk, now := atkClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now})
	nest := func(n int) string { return strings.Repeat(`[`, n) + strings.Repeat(`]`, n) }
	mixed := func(n int) string { return strings.Repeat(`{"a":[`, n/2) + `1` + strings.Repeat(`]}`, n/2) }
	payload := func(v string) string {
		return enc(fmt.Sprintf(`{"sub":"alice","exp":%d,"type":"access","x":%s}`, now+900, v))
	}
	H := enc(`{"alg":"HS256"}`)
	// The member value is at depth 0; each level adds one.
	ok, over := nest(jws.MaxDepth+1), nest(jws.MaxDepth+2)
	for _, c := range []struct {
		name string
		tok  string
		want error
	}{
		{"payload at the limit", hs256(H, payload(ok)), nil},
		{"payload one deeper", hs256(H, payload(over)), ErrMalformedToken},
		{"payload objects and arrays", hs256(H, payload(mixed(2*jws.MaxDepth+4))), ErrMalformedToken},
		{"payload 10000 deep", hs256(H, payload(nest(10000))), ErrTokenTooLarge},
		{"payload 4000 deep", hs256(H, payload(nest(2000))), ErrMalformedToken},
		{"header at the limit", hs256(enc(`{"alg":"HS256","x":`+nest(jws.MaxDepth+1)+`}`), payload("1")), nil},
		{"header one deeper", hs256(enc(`{"alg":"HS256","x":`+nest(jws.MaxDepth+2)+`}`), payload("1")), ErrMalformedToken},
	} {
		_, err := a.Verify(context.Background(), c.tok, Requirement{})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// Allocation bounds for rejected tokens: a rejection allocates at most
// its error value and the (fixed-size) Token shell; nothing proportional
// to the token.
const (
	maxAllocsRejected = 3
	maxBytesRejected  = 512
)

// TestLimitRejectedTokenCost: a token refused at or before the signature
// check (bad signature, bad alg, size, dots, bad base64) costs at most
// maxAllocsRejected allocations and maxBytesRejected bytes, and the same
// for a 45 KB payload as for a 100-byte one: the payload is decoded only
// after the signature verifies. An accepted token, for comparison, costs
// its decoded payload.
func TestLimitRejectedTokenCost(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation measurement")
	}
	skipUnderRace(t)
	clk, now := atkClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, MaxTokenSize: 64 << 10})
	ctx := context.Background()
	big := padTo(t, now, 60<<10) // ~45 KB payload
	if _, err := a.Verify(ctx, big, Requirement{}); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	p := strings.Split(big, ".")
	small := strings.Split(must(a.CreateAccessToken("alice")), ".")
	smallBad := bytesPerRun(200, func() { a.Verify(ctx, small[0]+"."+small[1]+"."+flipMid(small[2]), Requirement{}) })
	cases := []struct {
		name string
		tok  string
		want error
	}{
		{"bad signature, 45 KB payload", p[0] + "." + p[1] + "." + flipMid(p[2]), ErrInvalidSignature},
		{"alg none, 45 KB payload", enc(`{"alg":"none"}`) + "." + p[1] + "." + p[2], ErrInvalidAlgorithm},
		{"too large", strings.Repeat("A", 70<<10), ErrTokenTooLarge},
		{"dot flood", "A" + strings.Repeat(".", 60<<10), ErrMalformedToken},
		{"bad base64 in header", "!" + p[0][1:] + "." + p[1] + "." + p[2], ErrMalformedToken},
		{"bad base64 in payload", p[0] + "." + p[1][:100] + "!" + p[1][101:] + "." + p[2], ErrMalformedToken}, // reported precisely, after the signature check failed
		{"bad base64 in signature", p[0] + "." + p[1] + "." + p[2][:10] + "!" + p[2][11:], ErrMalformedToken},
		{"wrong-length signature", p[0] + "." + p[1] + "." + p[2][:20], ErrInvalidSignature},
	}
	for _, c := range cases {
		var err error
		allocs := testing.AllocsPerRun(50, func() { _, err = a.Verify(ctx, c.tok, Requirement{}) })
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
		bytes := bytesPerRun(200, func() { a.Verify(ctx, c.tok, Requirement{}) })
		t.Logf("%-32s %v allocs, %d bytes per rejected token", c.name, allocs, bytes)
		if allocs > maxAllocsRejected || bytes > maxBytesRejected {
			t.Errorf("%s: %v allocations, %d bytes; want at most %d and %d", c.name, allocs, bytes, maxAllocsRejected, maxBytesRejected)
		}
		if bytes > smallBad+64 {
			t.Errorf("%s: %d bytes, a small token with a bad signature costs %d: cost grows with the token", c.name, bytes, smallBad)
		}
	}
	// The accepted big token does decode its payload: the measurement
	// above sees allocations when there are some.
	if b := bytesPerRun(50, func() { a.Verify(ctx, big, Requirement{}) }); b < 40<<10 {
		t.Fatalf("accepted 45 KB token costs only %d bytes: the measurement is broken", b)
	}
}

// TestLimitTrustedIssuerPreSignatureWork: with trusted third-party
// issuers configured, the issuer claim selects the keys, so the payload is
// decoded before the signature check. That work is bounded by
// MaxTokenSize: a refused token costs at most its decoded payload, and an
// oversized one costs nothing.
func TestLimitTrustedIssuerPreSignatureWork(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation measurement")
	}
	skipUnderRace(t)
	clk, now := atkClock()
	a := mustNew(t, Config{
		Keys:           KeyConfig{SecretKey: testSecret},
		Now:            clk.Now,
		Logger:         discardLogger(),
		TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example", Audience: []string{"api"}, Keys: staticKeys{}}},
	})
	ctx := context.Background()
	tok := padTo(t, now, 8<<10)
	p := strings.Split(tok, ".")
	bad := p[0] + "." + p[1] + "." + flipMid(p[2])
	if _, err := a.Verify(ctx, bad, Requirement{}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("%v", err)
	}
	payload := uint64(jws.DecodedLen(len(p[1])))
	// With trusted issuers the payload is read before the signature (the
	// issuer selects the keys); past the verifier's stack scratch buffer it
	// is decoded on the heap. A refused token gets no Token; the bound
	// allows one anyway.
	bound := payload + maxBytesRejected + uint64(unsafe.Sizeof(Token{}))
	if b := bytesPerRun(100, func() { a.Verify(ctx, bad, Requirement{}) }); b > bound {
		t.Fatalf("%d bytes for a refused token whose payload is %d bytes (bound %d)", b, payload, bound)
	}
	over := padTo(t, now, 8<<10+1)
	if _, err := a.Verify(ctx, over, Requirement{}); !errors.Is(err, ErrTokenTooLarge) {
		t.Fatalf("%v", err)
	}
	if b := bytesPerRun(100, func() { a.Verify(ctx, over, Requirement{}) }); b > maxBytesRejected {
		t.Fatalf("oversized token costs %d bytes", b)
	}
}

// skipUnderRace skips allocation measurements in a -race build, whose
// instrumentation moves stack buffers to the heap.
func skipUnderRace(t *testing.T) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				t.Skip("allocation counts are not meaningful under -race; run without it")
			}
		}
	}
}

// bytesPerRun returns the average heap bytes allocated by f.
func bytesPerRun(n int, f func()) uint64 {
	f()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for i := 0; i < n; i++ {
		f()
	}
	runtime.ReadMemStats(&m1)
	return (m1.TotalAlloc - m0.TotalAlloc) / uint64(n)
}

// TestLimitUnverifiedHeader: UnverifiedHeader, which decodes without
// verifying, has its own 64 KiB bound and the same depth limit.
func TestLimitUnverifiedHeader(t *testing.T) {
	if _, err := UnverifiedHeader(strings.Repeat("A", 64<<10+1) + ".e30.AA"); err == nil {
		t.Fatal("unbounded UnverifiedHeader")
	}
	deep := enc(`{"alg":"HS256","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`) + ".e30.AA"
	if _, err := UnverifiedHeader(deep); err == nil {
		t.Fatal("UnverifiedHeader accepted deep nesting")
	}
	if _, err := UnverifiedHeader(enc(`{"alg":"HS256"}`) + ".e30.AA"); err != nil {
		t.Fatalf("baseline: %v", err)
	}
}

// TestLimitErrorsNameTheLimit: issue 8 §4 asks for a clear error for each
// limit. A header or signature over its buffer is a size problem, not a
// base64 one, and the message must say which limit was hit.
func TestLimitErrorsNameTheLimit(t *testing.T) {
	clk, now := atkClock()
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, Now: clk.Now, MaxTokenSize: 64 << 10})
	P := enc(accessPayload(now))
	bigHeader := hs256(enc(`{"alg":"HS256","x":"`+strings.Repeat("h", 600)+`"}`), P)
	base := hs256(enc(`{"alg":"HS256"}`), P)
	bigSig := base[:strings.LastIndexByte(base, '.')] + "." + b64.EncodeToString(make([]byte, 2000))
	for _, c := range []struct{ name, tok, want string }{
		{"header over 512 bytes", bigHeader, "header"},
		{"signature over 1024 bytes", bigSig, "signature"},
	} {
		_, err := a.Verify(context.Background(), c.tok, Requirement{})
		if !errors.Is(err, ErrMalformedToken) && !errors.Is(err, ErrTokenTooLarge) {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if msg := strings.ToLower(err.Error()); !strings.Contains(msg, c.want) || !strings.Contains(msg, "large") {
			t.Errorf("%s: error %q does not name the limit (want it to mention %q and \"large\")", c.name, err, c.want)
		}
	}
}
