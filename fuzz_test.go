package authjwt

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerify feeds arbitrary strings to the whole verification pipeline.
// Nothing may panic, and whatever is accepted must pass an independent
// check: canonical base64url segments, an HMAC-SHA256 computed with
// crypto/hmac, and a payload that encoding/json decodes to the same subject.
func FuzzVerify(f *testing.F) {
	a, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}})
	if err != nil {
		f.Fatal(err)
	}
	for _, opt := range [][]TokenOption{nil, {WithFresh(true)}, {WithClaims(map[string]any{"roles": []string{"admin"}, "n": []any{1, "x", nil}})}} {
		tok := must(a.CreateAccessToken("alice", opt...))
		f.Add(tok)
	}
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := a.Verify(context.Background(), s, Requirement{})
		if err == nil {
			independentCheck(t, s, tok.Subject())
		}
		if err != nil {
			if e := AsError(err); e.Status < 400 || e.Message == "" {
				t.Fatalf("bad error %#v", e)
			}
		}
		_, _ = UnverifiedHeader(s)
	})
}

// FuzzAuthorizationHeader fuzzes header extraction through the middleware.
func FuzzAuthorizationHeader(f *testing.F) {
	a, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}})
	if err != nil {
		f.Fatal(err)
	}
	good := must(a.CreateAccessToken("alice"))
	for _, s := range []string{"Bearer " + good, "bearer " + good, "Bearer", "Bearer  " + good, "Basic abc", "Bearer a b", good} {
		f.Add(s)
	}
	h := a.Required(echoSub)
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{v}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == 200 {
			scheme, tok, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				t.Fatalf("accepted without the Bearer scheme: %q", v)
			}
			independentCheck(t, strings.TrimLeft(tok, " "), "alice")
		} else if w.Code != 400 && w.Code != 401 {
			t.Fatalf("status %d for %q", w.Code, v)
		}
	})
}

func independentCheck(t *testing.T, s, sub string) {
	t.Helper()
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		t.Fatalf("accepted %d segments: %q", len(parts), s)
	}
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if b64.EncodeToString(m.Sum(nil)) != parts[2] {
		t.Fatalf("accepted a signature crypto/hmac rejects: %q", s)
	}
	for _, p := range parts {
		raw, err := b64.Strict().DecodeString(p)
		if err != nil || b64.EncodeToString(raw) != p {
			t.Fatalf("accepted non-canonical base64url %q", p)
		}
	}
	raw, _ := b64.DecodeString(parts[1])
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.Sub != sub {
		t.Fatalf("encoding/json disagrees: %v %q vs %q", err, claims.Sub, sub)
	}
}

// FuzzCookieExtraction fuzzes the Cookie header, the CSRF header and the
// method of a cookie-authenticated request through the middleware. A
// request may pass only with the real access cookie, alone under its name,
// and (for unsafe methods) the CSRF header equal to the token's claim.
func FuzzCookieExtraction(f *testing.F) {
	a, err := New(Config{Keys: KeyConfig{SecretKey: testSecret}, TokenLocation: []string{LocationCookies}})
	if err != nil {
		f.Fatal(err)
	}
	good := must(a.CreateAccessToken("alice"))
	v := must(a.Verify(context.Background(), good, Requirement{}))
	name := a.Config().Cookies.Access.Name
	csrf := v.CSRF()
	f.Add("GET", name+"="+good, "")
	f.Add("POST", name+"="+good, csrf)
	f.Add("POST", name+"="+good+"; "+name+"="+good, csrf)
	f.Add("DELETE", name+"="+good, "x")
	f.Add("patch", "a=b; "+name+"=\""+good+"\"", csrf)
	h := a.Required(echoSub)
	f.Fuzz(func(t *testing.T, method, cookie, csrfHeader string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = method
		r.Header["Cookie"] = []string{cookie}
		if csrfHeader != "" {
			r.Header["X-Csrf-Token"] = []string{csrfHeader}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200:
			got := r.CookiesNamed(name)
			if len(got) != 1 {
				t.Fatalf("accepted without exactly one access cookie: %q", cookie)
			}
			independentCheck(t, got[0].Value, "alice")
			raw, _ := b64.DecodeString(strings.Split(got[0].Value, ".")[1])
			var claims struct {
				CSRF string `json:"csrf"`
			}
			json.Unmarshal(raw, &claims)
			if a.creds.csrfMethods[strings.ToUpper(method)] && (claims.CSRF == "" || csrfHeader != claims.CSRF) {
				t.Fatalf("unsafe %q accepted with CSRF header %q (claim %q)", method, csrfHeader, claims.CSRF)
			}
		case 400, 401, 403:
		default:
			t.Fatalf("status %d for %q %q %q", w.Code, method, cookie, csrfHeader)
		}
	})
}

// FuzzCreateVerifyRoundTrip: every combination of creation options, with
// arbitrary strings, either fails with ErrInvalidTokenOption (invalid
// UTF-8 somewhere, or a token beyond MaxTokenSize) or a reserved claim
// name, or gives a token that the library's own verifier accepts with
// exactly the claims it was given.
func FuzzCreateVerifyRoundTrip(f *testing.F) {
	f.Add("alice", "https://issuer.example", "api", "web", "fam-1", "org", "acme", "x-env", "prod", uint8(0), uint8(0))
	f.Add("al\"ice\\\n<é>", "", "", "", "", "", "", "", "", uint8(0xff), uint8(0xff))
	f.Add("\xff", "a\xffb", "\xfe", "ok", "\x80", "k\xff", "v\xc3", "h\xff", "\xfe", uint8(0x15), uint8(0x01))
	f.Add("\uFFFD", `\ufffd`, "\u2028", "", "", "ſub", "\x00", "kid", "x", uint8(0x0a), uint8(0x03))
	f.Fuzz(func(t *testing.T, sub, iss, aud1, aud2, family, key, val, hkey, hval string, flags, more uint8) {
		refresh, fresh, twoAud, cookies := flags&1 != 0, flags&2 != 0 && flags&1 == 0, flags&4 != 0, flags&8 != 0
		useIss, useAud, useFamily, useClaim := flags&16 != 0, flags&32 != 0, flags&64 != 0, flags&128 != 0
		useHeader, useExpiry := more&1 != 0, more&2 != 0
		expiry := time.Second + time.Duration(more>>2)*97*time.Millisecond // 1 s to about 7 s, fractions included
		cfg := Config{Keys: KeyConfig{SecretKey: testSecret}, Logger: discardLogger()}
		if cookies {
			cfg.TokenLocation = []string{LocationHeaders, LocationCookies}
		}
		var opts []TokenOption
		var auds []string
		if useIss {
			opts = append(opts, WithIssuer(iss))
			cfg.Claims.DecodeIssuer = iss
		}
		if useAud {
			auds = []string{aud1}
			if twoAud {
				auds = append(auds, aud2)
			}
			opts = append(opts, WithAudience(auds...))
			cfg.Claims.DecodeAudience = auds
		}
		if useFamily {
			opts = append(opts, WithFamily(family))
		}
		if useClaim {
			opts = append(opts, WithClaims(map[string]any{key: val}))
		}
		if fresh {
			opts = append(opts, WithFresh(true))
		}
		if useHeader {
			opts = append(opts, WithHeaders(map[string]any{hkey: hval}))
		}
		if useExpiry {
			opts = append(opts, WithExpiry(expiry))
		}
		used := []string{sub}
		if useIss {
			used = append(used, iss)
		}
		used = append(used, auds...)
		if useFamily {
			used = append(used, family)
		}
		if useClaim {
			used = append(used, key, val)
		}
		if useHeader {
			used = append(used, hkey, hval)
		}
		valid := true
		for _, s := range used {
			valid = valid && utf8.ValidString(s)
		}
		a, err := New(cfg)
		if err != nil {
			if valid {
				t.Fatalf("New refused valid UTF-8 settings: %v", err)
			}
			return // New names the setting with invalid UTF-8
		}
		before := time.Now()
		create := a.CreateAccessToken
		if refresh {
			create = a.CreateRefreshToken
		}
		tok, err := create(sub, opts...)
		if err != nil {
			switch {
			case errors.Is(err, ErrInvalidTokenOption) && (!valid || strings.Contains(err.Error(), "MaxTokenSize")):
			case useClaim && strings.Contains(err.Error(), "cannot be overwritten"):
			case useHeader && strings.Contains(err.Error(), "cannot be set"):
			default:
				t.Fatalf("create: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("created a token from invalid UTF-8: %q", tok)
		}
		vt, err := a.Verify(context.Background(), tok, Requirement{Refresh: refresh})
		if err != nil {
			t.Fatalf("the library refused its own token %q: %v", tok, err)
		}
		if vt.Subject() != sub || vt.Fresh() != fresh || vt.IsRefresh() != refresh {
			t.Fatalf("sub %q fresh %v refresh %v", vt.Subject(), vt.Fresh(), vt.IsRefresh())
		}
		if wantIss := map[bool]string{true: iss}[useIss]; vt.Issuer() != wantIss {
			t.Fatalf("iss %q, want %q", vt.Issuer(), wantIss)
		}
		if !slices.Equal(vt.Audience(), auds) {
			t.Fatalf("aud %q, want %q", vt.Audience(), auds)
		}
		if wantFam := map[bool]string{true: family}[useFamily]; vt.Family() != wantFam {
			t.Fatalf("family %q, want %q", vt.Family(), wantFam)
		}
		if useClaim {
			if v, ok := vt.Claim(key); !ok || v != val {
				t.Fatalf("claim %q = %v (%v), want %q", key, v, ok, val)
			}
		}
		if useHeader {
			h, err := vt.Header()
			if v, ok := h[hkey]; err != nil || !ok || v != hval {
				t.Fatalf("header %q = %v (%v, %v), want %q", hkey, v, ok, err, hval)
			}
		}
		if useExpiry {
			// exp is the creation instant plus the lifetime, in whole
			// seconds (truncated).
			if exp := vt.ExpiresAt().Unix(); exp < before.Add(expiry).Unix() || exp > time.Now().Add(expiry).Unix() {
				t.Fatalf("exp %d for WithExpiry(%v) created at %v", exp, expiry, before)
			}
		}
	})
}
