package authjwttest

import (
	"testing"

	"github.com/librenz/authjwt"
)

// Secret is the HMAC secret [New] configures when no key is given. It is
// 64 bytes long, so HS256, HS384 and HS512 all accept it. It is public:
// for tests only.
const Secret = "authjwttest-public-secret-for-tests-only-0123456789abcdef-012345"

// New returns an [authjwt.Auth] built from cfg for a test, with:
//   - Keys.SecretKey set to [Secret] when cfg configures no key at all
//     (no SecretKey, PrivateKey, PublicKey, Signer, VerifyKey or Set in
//     cfg.Keys);
//   - Now set to a new [Clock] starting at [Epoch] when cfg.Now is nil. The
//     clock is returned; it is nil when cfg.Now was set.
//
// Any other field is used as given. A configuration error fails the test.
// The Auth is closed when the test ends.
func New(tb testing.TB, cfg authjwt.Config) (*authjwt.Auth, *Clock) {
	tb.Helper()
	if cfg.Keys.SecretKey == "" && cfg.Keys.PrivateKey == "" && cfg.Keys.PublicKey == "" &&
		cfg.Keys.Signer == nil && cfg.Keys.VerifyKey == nil && cfg.Keys.Set == nil {
		cfg.Keys.SecretKey = Secret
	}
	var clock *Clock
	if cfg.Now == nil {
		clock = NewClock(Epoch)
		cfg.Now = clock.Now
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		tb.Fatalf("authjwttest.New: %v", err)
		return nil, nil
	}
	tb.Cleanup(func() { a.Close() })
	return a, clock
}

// AccessToken returns an access token for subject created by a, failing
// the test on error. Pass [authjwt.WithFresh](true) for a fresh token.
func AccessToken(tb testing.TB, a *authjwt.Auth, subject string, opts ...authjwt.TokenOption) string {
	tb.Helper()
	tok, err := a.CreateAccessToken(subject, opts...)
	if err != nil {
		tb.Fatalf("authjwttest.AccessToken: %v", err)
		return ""
	}
	return tok
}

// RefreshToken returns a refresh token for subject created by a, failing
// the test on error.
func RefreshToken(tb testing.TB, a *authjwt.Auth, subject string, opts ...authjwt.TokenOption) string {
	tb.Helper()
	tok, err := a.CreateRefreshToken(subject, opts...)
	if err != nil {
		tb.Fatalf("authjwttest.RefreshToken: %v", err)
		return ""
	}
	return tok
}

// Pair returns an access and refresh token pair for subject created by a,
// failing the test on error.
func Pair(tb testing.TB, a *authjwt.Auth, subject string, opts ...authjwt.TokenOption) authjwt.Pair {
	tb.Helper()
	p, err := a.CreatePair(subject, opts...)
	if err != nil {
		tb.Fatalf("authjwttest.Pair: %v", err)
		return authjwt.Pair{}
	}
	return p
}
