package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt/authjwttest"
)

// TestTrustedIssuerProcess runs the server with a trusted third-party
// issuer (authjwttest's fake OpenID Connect provider, on TLS with a
// self-signed certificate that the server trusts through SSL_CERT_FILE):
// /protected accepts the provider's access tokens for our audience beside
// our own tokens, and refuses the others.
func TestTrustedIssuerProcess(t *testing.T) {
	t.Parallel()
	idp := authjwttest.NewIssuer(t, "ES256")
	stranger := authjwttest.NewIssuer(t, "ES256") // same kind of provider, not trusted
	caFile := filepath.Join(t.TempDir(), "idp-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Server.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{
		"AUTHJWT_SECRET_KEY=" + testSecret,
		"AUTHJWT_TRUSTED_ISSUER=" + idp.URL,
		"AUTHJWT_TRUSTED_AUDIENCE=api://other, api://reference",
		"AUTHJWT_TRUSTED_ALGORITHMS=ES256",
		"AUTHJWT_TRUSTED_ROLES_CLAIM=realm_access.roles",
	}
	tests := []struct {
		name string
		env  []string
	}{
		{"keys found by OpenID Connect discovery", []string{"SSL_CERT_FILE=" + caFile}},
		{"keys from AUTHJWT_TRUSTED_JWKS_URL", []string{"SSL_CERT_FILE=" + caFile, "AUTHJWT_TRUSTED_JWKS_URL=" + idp.URL + "/.well-known/jwks.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, append(base, tt.env...)...)
			if !srv.waitStdout("authjwt: trusting issuer " + idp.URL + " (audience api://other,api://reference") {
				t.Errorf("start-up lines do not name the trusted issuer: %s", srv.stdout.String())
			}
			get := func(path, token string) response {
				return srv.do(req{method: "GET", path: path, token: token})
			}
			r := get("/protected", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference"}))
			r.expect(t, "provider token", 200, "")
			if strings.TrimSpace(r.raw) != `{"user":"carol"}` {
				t.Fatalf("provider token: body %s", r.raw)
			}
			get("/protected", idp.Token(t, map[string]any{"sub": "carol", "aud": []string{"api://x", "api://other"}})).
				expect(t, "provider token for the other configured audience", 200, "")
			own, _ := srv.login("alice", "secret")
			get("/protected", own).expect(t, "our own token beside the provider's", 200, "")

			get("/protected", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://elsewhere"})).
				expect(t, "provider token for another audience", 401, "")
			r = get("/protected", stranger.Token(t, map[string]any{"sub": "carol", "aud": "api://reference"}))
			r.expect(t, "token of an untrusted provider", 401, "Untrusted issuer")
			r = get("/protected", idp.Sign(t, []byte(`{"iss":"`+idp.URL+`/","sub":"carol","aud":"api://reference","exp":`+
				strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)+`}`)))
			r.expect(t, "the provider's key, its issuer mistyped (trailing slash)", 401, "Untrusted issuer")
			if r.body["code"] != "untrusted_issuer" {
				t.Fatalf("mistyped issuer: code %v, want untrusted_issuer (%s)", r.body["code"], r.raw)
			}
			get("/protected", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference", "nonce": "n"})).
				expect(t, "an ID token is not an access token", 401, "")

			get("/admin", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference",
				"realm_access": map[string]any{"roles": []string{"admin"}}})).
				expect(t, "provider roles from AUTHJWT_TRUSTED_ROLES_CLAIM", 200, "")
			get("/admin", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference",
				"realm_access": map[string]any{"roles": []string{"viewer"}}})).
				expect(t, "provider token without the role", 403, "Not enough permissions")
			get("/admin", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference", "roles": []string{"admin"}})).
				expect(t, "a provider's own roles claim grants none of ours", 403, "Not enough permissions")
			get("/protected", idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference",
				"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}})).
				expect(t, "a logout token is not an access token", 401, "")
		})
	}

	// AUTHJWT_TRUSTED_REQUIRE_AT_JWT=true: only tokens typed at+jwt pass;
	// the same provider's JWT-typed and untyped tokens (the form of an ID
	// token without nonce) are refused by their type. Its own issuer, so
	// that SetTyp does not race the subtests above.
	t.Run("AUTHJWT_TRUSTED_REQUIRE_AT_JWT", func(t *testing.T) {
		t.Parallel()
		typed := authjwttest.NewIssuer(t, "ES256")
		srv := startServe(t, "AUTHJWT_SECRET_KEY="+testSecret, "SSL_CERT_FILE="+caFile,
			"AUTHJWT_TRUSTED_ISSUER="+typed.URL, "AUTHJWT_TRUSTED_AUDIENCE=api://reference",
			"AUTHJWT_TRUSTED_ALGORITHMS=ES256", "AUTHJWT_TRUSTED_REQUIRE_AT_JWT=true")
		if !srv.waitStdout("authjwt: trusting issuer " + typed.URL + " (audience api://reference, keys from discovery, typ at+jwt only)") {
			t.Errorf("the start-up line does not state the typ policy: %s", srv.stdout.String())
		}
		claims := map[string]any{"sub": "carol", "aud": "api://reference"}
		for _, c := range []struct {
			typ    string
			status int
		}{{"at+jwt", 200}, {"application/at+jwt", 200}, {"JWT", 401}, {"", 401}, {"logout+jwt", 401}} {
			typed.SetTyp(c.typ)
			r := srv.do(req{method: "GET", path: "/protected", token: typed.Token(t, claims)})
			r.expect(t, "typ "+strconv.Quote(c.typ), c.status, "")
			if c.status == 401 && r.body["code"] != "access_token_required" {
				t.Fatalf("typ %q: code %v, want access_token_required (%s)", c.typ, r.body["code"], r.raw)
			}
		}
	})

	// Without the provider's CA the server cannot fetch its keys: the
	// provider's tokens get 503 (keys unavailable), never 200, while our
	// own keep working. This is what makes SSL_CERT_FILE matter above.
	t.Run("provider's certificate not trusted", func(t *testing.T) {
		t.Parallel()
		srv := startServe(t, append(base, "SSL_CERT_FILE="+filepath.Join(t.TempDir(), "empty.pem"))...)
		r := srv.do(req{method: "GET", path: "/protected", token: idp.Token(t, map[string]any{"sub": "carol", "aud": "api://reference"})})
		r.expect(t, "provider token without its keys", 503, "")
		if r.body["code"] != "keys_unavailable" {
			t.Fatalf("code %v, want keys_unavailable (%s)", r.body["code"], r.raw)
		}
		own, _ := srv.login("alice", "secret")
		srv.do(req{method: "GET", path: "/protected", token: own}).expect(t, "our own token", 200, "")
	})
}
