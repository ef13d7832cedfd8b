package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
)

// pyDecode verifies tok with PyJWT (the library the seed, libre-fastapi-jwt,
// verifies with) and returns its "iat" as Python prints it. It skips when
// Python or PyJWT is missing, or fails with AUTHJWTTEST_REQUIRE_SERVICES=1.
func pyDecode(t *testing.T, tok, secret string) string {
	t.Helper()
	const script = `import sys, jwt
c = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"], options={"require": ["exp", "iat"]})
print(repr(c["iat"]))`
	py := "/usr/bin/python3"
	var out, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", script, tok, secret)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		missing := !errors.As(err, &ee) || strings.Contains(stderr.String(), "No module named 'jwt'")
		if missing {
			msg := "Python with PyJWT unavailable (" + strings.TrimSpace(stderr.String()) + err.Error() + "); install it with: apt-get install python3-jwt"
			if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		t.Fatalf("PyJWT refused our token: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(out.String())
}

// TestPyJWTAcceptsTokensAfterLogoutEverywhere (issue 15, item 4): subject
// cutoffs have millisecond resolution, yet our iat stays a whole number
// (the millisecond is in the jti, a UUID v7): PyJWT, which the seed
// verifies with, compares iat with the current whole second and refuses a
// fractional iat for the rest of the second it was issued in ("The token
// is not yet valid (iat)"). A token minted just after "log out everywhere"
// is accepted by us and verified by PyJWT at once; the one minted before
// is refused by us.
func TestPyJWTAcceptsTokensAfterLogoutEverywhere(t *testing.T) {
	const secret = "interop-pyjwt-0123456789abcdef0123456789"
	a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: secret}, Revocation: authjwt.RevocationConfig{Store: revoke.NewMemory()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old, err := a.CreateAccessToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeSubject(ctx, "", "alice"); err != nil {
		t.Fatal(err)
	}
	fresh, err := a.CreateAccessToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(ctx, old, authjwt.Requirement{}); !errors.Is(err, authjwt.ErrTokenRevoked) {
		t.Fatalf("token issued before the cutoff: %v, want revoked", err)
	}
	if _, err := a.Verify(ctx, fresh, authjwt.Requirement{}); err != nil {
		t.Fatalf("token issued after the cutoff: %v", err)
	}
	for _, tok := range []string{old, fresh} {
		got := pyDecode(t, tok, secret) // at once: within the second it was minted
		payload, _ := b64.DecodeString(strings.Split(tok, ".")[1])
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(payload))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		iat, _ := m["iat"].(json.Number)
		if _, err := strconv.ParseInt(iat.String(), 10, 64); err != nil {
			t.Errorf("iat %v is not a whole number", m["iat"])
		}
		if got != iat.String() {
			t.Errorf("PyJWT read iat %s, the token says %s", got, m["iat"])
		}
	}
}
