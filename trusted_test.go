package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// fakeIdP is an OpenID Connect provider on a TLS loopback server: it
// serves discovery and a JWKS, and mints tokens with its own key.
type fakeIdP struct {
	srv      *httptest.Server
	minter   *Auth // signs as the provider (no type claim, like real IdPs)
	fetches  atomic.Int32
	requests atomic.Int32
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	p := &fakeIdP{}
	var jwks http.Handler
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		p.fetches.Add(1)
		jwks.ServeHTTP(w, r)
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	testKeys()
	p.minter = mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey2), Algorithm: "RS256"}, Claims: ClaimsConfig{EncodeIssuer: p.srv.URL}, TypeClaim: TypeClaimConfig{Skip: true}})
	jwks = p.minter.JWKSHandler()
	return p
}

func (p *fakeIdP) token(t *testing.T, claims map[string]any, opts ...TokenOption) string {
	t.Helper()
	opts = append([]TokenOption{WithAudience("my-api"), WithClaims(claims)}, opts...)
	return must(p.minter.CreateAccessToken("idp-user", opts...))
}

func TestTrustedIssuer(t *testing.T) {
	ctx := context.Background()
	idp := newFakeIdP(t)
	testKeys()
	a := mustNew(t, Config{
		Keys: KeyConfig{PrivateKey: privPEM(t, rsaKey), Algorithm: "RS256"},
		Claims: ClaimsConfig{
			EncodeIssuer: "https://api.example",
			DecodeIssuer: "https://api.example",
		},
		TrustedIssuers: []TrustedIssuer{{
			Issuer: idp.srv.URL, Audience: []string{"my-api"}, RolesClaim: "realm_access.roles",
			HTTPClient: idp.srv.Client(),
		}},
	})
	defer a.Close()
	idpTok := idp.token(t, map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}})
	tk, err := a.Verify(ctx, idpTok, Requirement{Roles: []string{"admin"}})
	if err != nil {
		t.Fatalf("provider token refused: %v", err)
	}
	if !tk.IsThirdParty() || tk.Subject() != "idp-user" || tk.JTI() == "" {
		t.Fatalf("token %+v", tk)
	}
	ownTok := must(a.CreateAccessToken("alice"))
	if _, err := a.Verify(ctx, ownTok, Requirement{}); err != nil {
		t.Fatalf("our own token refused beside a trusted issuer: %v", err)
	}
	cases := []struct {
		name string
		tok  string
		req  Requirement
		want error
	}{
		{"refresh route", idpTok, Requirement{Refresh: true}, ErrRefreshRequired},
		{"fresh route", idpTok, Requirement{Fresh: true}, ErrFreshRequired},
		{"role missing", idp.token(t, nil), Requirement{Roles: []string{"admin"}}, ErrNotEnoughPerms},
		{"other audience", must(idp.minter.CreateAccessToken("u", WithAudience("other-api"))), Requirement{}, ErrInvalidAudience},
		{"ID token", idp.token(t, map[string]any{"nonce": "n-0S6_WzA2Mj"}), Requirement{}, ErrIDTokenRefused},
		// Keys never cross issuers: the provider's key signing a token
		// that claims to be ours, and our key signing one claiming theirs.
		{"provider key, our issuer", must(idp.minter.CreateAccessToken("u", WithIssuer("https://api.example"))), Requirement{}, ErrInvalidSignature},
		{"our key, provider issuer", must(a.CreateAccessToken("u", WithIssuer(idp.srv.URL), WithAudience("my-api"))), Requirement{}, ErrInvalidKID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := a.Verify(ctx, c.tok, c.req); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// No fetch for an untrusted issuer's token.
	before := idp.requests.Load()
	other := mustNew(t, Config{Keys: KeyConfig{PrivateKey: privPEM(t, keyFor("RS256")), Algorithm: "RS256"}, Claims: ClaimsConfig{EncodeIssuer: "https://evil.example"}, TypeClaim: TypeClaimConfig{Skip: true}})
	evil := must(other.CreateAccessToken("u", WithAudience("my-api")))
	if _, err := a.Verify(ctx, evil, Requirement{}); err == nil {
		t.Fatal("untrusted issuer accepted")
	}
	if idp.requests.Load() != before {
		t.Fatal("an untrusted issuer's token caused a request to the provider")
	}
	// Through the middleware, with a role route.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+idpTok)
	w := httptest.NewRecorder()
	a.RequireRoles("admin")(echoSub).ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "idp-user") {
		t.Fatalf("middleware: %d %s", w.Code, w.Body)
	}
}

func TestTrustedIssuerConfig(t *testing.T) {
	_, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example"}}})
	if err == nil || !strings.Contains(err.Error(), "Audience") {
		t.Fatalf("trusted issuer without audience: %v", err)
	}
	_, err = New(Config{Keys: KeyConfig{SecretKey: testSecret}, TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example", Audience: []string{"a"}, Algorithms: []string{"HS256"}}}})
	if err == nil || !strings.Contains(err.Error(), "Algorithms") {
		t.Fatalf("HMAC for a provider: %v", err)
	}
}

type staticKeys []keys.Key

func (s staticKeys) Keys() []keys.Key { return s }
func (s staticKeys) Lookup(ctx context.Context, kid string) (keys.Key, error) {
	for _, k := range s {
		if k.KID == kid {
			return k, nil
		}
	}
	if len(s) == 0 {
		return keys.Key{}, keys.ErrNoKeys
	}
	return keys.Key{}, keys.ErrKeyNotFound
}

func TestTrustedIssuerWithoutKeysIs503(t *testing.T) {
	idp := newFakeIdP(t)
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}, TrustedIssuers: []TrustedIssuer{{Issuer: idp.srv.URL, Audience: []string{"my-api"}, Keys: staticKeys{}}}})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+idp.token(t, nil))
	w := httptest.NewRecorder()
	a.Required(echoSub).ServeHTTP(w, r)
	if w.Code != 503 {
		t.Fatalf("no keys: %d %s", w.Code, w.Body)
	}
}

// TestRevokeTokenWithoutJTI: a provider's token without "jti" is valid
// but cannot be revoked on its own. Revoke and RevokeFamily say so with
// ErrNotRevocable (422, not a 401 blaming the token) and revoke nothing;
// revoking its subject refuses it.
func TestRevokeTokenWithoutJTI(t *testing.T) {
	testKeys()
	ctx := context.Background()
	clk, now := atkClock()
	k, err := keys.NewVerifyKey("RS256", rsaKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	const iss = "https://idp.example"
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		Now:  clk.Now,
		Revocation: RevocationConfig{
			Enabled: true,
			Store:   revoke.NewMemory(),
		},
		TrustedIssuers: []TrustedIssuer{{Issuer: iss, Audience: []string{"api"}, Algorithms: []string{"RS256"}, Keys: staticKeys{k}}},
	})
	tok := signedToken(t, "RS256", rsaKey, `{"alg":"RS256","kid":"`+k.KID+`"}`,
		fmt.Sprintf(`{"iss":%q,"sub":"alice","aud":"api","exp":%d,"iat":%d}`, iss, now+600, now-10))
	vt, err := a.Verify(ctx, tok, Requirement{})
	if err != nil {
		t.Fatalf("provider token without jti refused: %v", err)
	}
	for name, revokeIt := range map[string]func(context.Context, *Token) error{"Revoke": a.Revoke, "RevokeFamily": a.RevokeFamily} {
		err := revokeIt(ctx, vt)
		if !errors.Is(err, ErrNotRevocable) || AsError(err).Status != 422 {
			t.Fatalf("%s: %v, want ErrNotRevocable (422)", name, err)
		}
		if _, err := a.Verify(ctx, tok, Requirement{}); err != nil {
			t.Fatalf("after a refused %s the token must still verify: %v", name, err)
		}
	}
	if err := a.RevokeSubject(ctx, iss, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, tok, Requirement{}); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("after RevokeSubject: %v, want ErrTokenRevoked", err)
	}
}

// TestTrustedIssuerOnFetch: the Remote.OnFetch of a trusted issuer reaches
// the JWKS cache New builds for it, discovery and all.
func TestTrustedIssuerOnFetch(t *testing.T) {
	idp := newFakeIdP(t)
	var mu sync.Mutex
	var evs []keys.FetchEvent
	a := mustNew(t, Config{
		Keys: KeyConfig{SecretKey: testSecret},
		TrustedIssuers: []TrustedIssuer{{
			Issuer: idp.srv.URL, Audience: []string{"my-api"}, HTTPClient: idp.srv.Client(),
			Remote: keys.RemoteConfig{OnFetch: func(_ context.Context, ev keys.FetchEvent) {
				mu.Lock()
				evs = append(evs, ev)
				mu.Unlock()
			}},
		}},
	})
	defer a.Close()
	if _, err := a.Verify(context.Background(), idp.token(t, nil), Requirement{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(evs) != 1 || evs[0].Reason != keys.FetchInitial || evs[0].Result != keys.FetchOK || evs[0].URL != idp.srv.URL+"/jwks" || evs[0].Keys != 1 {
		t.Fatalf("fetch events %+v", evs)
	}
}
