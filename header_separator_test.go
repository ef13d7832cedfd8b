package authjwt

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
)

// TestHeaderWithSeparators: a header value holding a space, tab or comma
// besides the token is the header's error ("Bad Authorization header"),
// whatever the token, with the OnVerify hook not called — as when the
// check ran before verification. (It now runs only after a failed
// verification: no token that verifies holds such a byte.)
func TestHeaderWithSeparators(t *testing.T) {
	for _, bare := range []bool{false, true} {
		var events int
		a := mustNew(t, Config{
			Keys:   KeyConfig{SecretKey: testSecret},
			Header: HeaderConfig{BareToken: bare},
			Hooks: HookConfig{
				OnVerify: func(context.Context, VerifyEvent) { events++ },
			},
		})
		good := must(a.CreateAccessToken("alice"))
		prefix := "Bearer "
		if bare {
			prefix = ""
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", prefix+good)
		if _, err := a.Check(r, Requirement{}); err != nil || events != 1 {
			t.Fatalf("bare=%v: baseline refused (%v) or %d hook calls", bare, err, events)
		}
		for _, v := range []string{good + " x", good + ",", good + "\t", "a b", good + " " + good, "x," + good, good[:10] + " " + good[10:]} {
			events = 0
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", prefix+v)
			_, err := a.Check(r, Requirement{})
			if !errors.Is(err, ErrBadHeader) || err.Error() != a.creds.errBadHeader.Error() {
				t.Errorf("bare=%v, %q: %v, want %v", bare, v, err, a.creds.errBadHeader)
			}
			if events != 0 {
				t.Errorf("bare=%v, %q: OnVerify called %d times", bare, v, events)
			}
		}
	}
}
