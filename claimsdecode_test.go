package authjwt

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

type ecOrg struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type ecBase struct {
	Tenant string `json:"tenant"`
}

// ecUpper decodes itself: whatever it receives is its own business.
type ecUpper string

func (u *ecUpper) UnmarshalJSON(b []byte) error {
	*u = ecUpper(strings.ToUpper(string(b)))
	return nil
}

type ecClaims struct {
	ecBase
	Sub    string           `json:"sub"`
	Scope  string           `json:"scope"`
	Kind   string           `json:"kind"`
	Plan   string           // untagged: its Go name, exactly
	Org    ecOrg            `json:"org"`
	OrgPtr *ecOrg           `json:"org_ptr"`
	Orgs   []ecOrg          `json:"orgs"`
	ByName map[string]ecOrg `json:"by_name"`
	Raw    ecUpper          `json:"raw"`
	Any    any              `json:"any"`
}

// TestDecodeExactCase: Token.Decode and ClaimsAs match claim names to
// struct fields exactly, as Subject(), Claim() and Has() do, where
// encoding/json alone matches case-insensitively with Unicode folding and
// lets the last match win. Each row is a payload member that only a
// case-insensitive match would put in a field (or, for the last rows, one
// that must keep its own name).
func TestDecodeExactCase(t *testing.T) {
	a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
	for _, c := range []struct {
		name   string
		claims map[string]any
		check  func(ecClaims) bool
		why    string
	}{
		{"SUB after sub", map[string]any{"SUB": "mallory"}, func(v ecClaims) bool { return v.Sub == "alice" },
			"Subject() says alice; Decode must not say mallory"},
		{"long s sub after sub", map[string]any{"ſub": "mallory"}, func(v ecClaims) bool { return v.Sub == "alice" },
			"the issue's case: ſub (U+017F) must not land in json:\"sub\""},
		{"long s folds to s", map[string]any{"ſcope": "admin"}, func(v ecClaims) bool { return v.Scope == "" },
			"U+017F folds to s in encoding/json"},
		{"Kelvin sign folds to k", map[string]any{"\u212aind": "admin"}, func(v ecClaims) bool { return v.Kind == "" },
			"U+212A folds to k"},
		{"upper-case custom claim", map[string]any{"SCOPE": "admin"}, func(v ecClaims) bool { return v.Scope == "" },
			"no scope claim, only SCOPE"},
		{"exact beside a case variant", map[string]any{"scope": "read", "Scope": "admin"}, func(v ecClaims) bool { return v.Scope == "read" },
			"the exact member wins whatever the order"},
		{"untagged field, lower case", map[string]any{"plan": "pro"}, func(v ecClaims) bool { return v.Plan == "" },
			"an untagged field's name is its Go name, exactly"},
		{"untagged field, exact", map[string]any{"Plan": "pro"}, func(v ecClaims) bool { return v.Plan == "pro" },
			"exact Go name"},
		{"promoted field of an embedded struct", map[string]any{"TENANT": "evil", "tenant": "acme"}, func(v ecClaims) bool { return v.Tenant == "acme" },
			"embedded structs' fields are matched exactly too"},
		{"nested struct", map[string]any{"org": map[string]any{"id": "1", "ID": "2", "NAME": "evil"}}, func(v ecClaims) bool { return v.Org == ecOrg{ID: "1"} },
			"nested members are matched exactly"},
		{"pointer to struct", map[string]any{"org_ptr": map[string]any{"Id": "2"}}, func(v ecClaims) bool { return v.OrgPtr != nil && v.OrgPtr.ID == "" },
			"through pointers"},
		{"list of structs", map[string]any{"orgs": []any{map[string]any{"id": "1"}, map[string]any{"iD": "2"}}}, func(v ecClaims) bool {
			return len(v.Orgs) == 2 && v.Orgs[0].ID == "1" && v.Orgs[1].ID == ""
		}, "through slices"},
		{"map of structs", map[string]any{"by_name": map[string]any{"A": map[string]any{"Name": "x", "name": "a"}}}, func(v ecClaims) bool {
			return v.ByName["A"] == ecOrg{Name: "a"}
		}, "map keys are kept, their struct values matched exactly"},
		{"case variant of a map field", map[string]any{"BY_NAME": map[string]any{"A": map[string]any{}}}, func(v ecClaims) bool { return v.ByName == nil },
			"the field itself is matched exactly"},
		{"UnmarshalJSON gets its value", map[string]any{"raw": map[string]any{"ID": "x"}}, func(v ecClaims) bool { return v.Raw == `{"ID":"X"}` },
			"a type decoding itself sees the member as sent"},
		{"interface keeps every member", map[string]any{"any": map[string]any{"ID": "x", "id": "y"}}, func(v ecClaims) bool {
			m, _ := v.Any.(map[string]any)
			return m["ID"] == "x" && m["id"] == "y"
		}, "maps have exact keys already"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := must(a.CreateAccessToken("alice", WithClaims(c.claims)))
			vt, err := a.Verify(context.Background(), tok, Requirement{})
			if err != nil {
				t.Fatal(err)
			}
			var v ecClaims
			if err := vt.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if !c.check(v) {
				t.Fatalf("%s: decoded %+v from %s", c.why, v, vt.PayloadJSON())
			}
			got, err := ClaimsAs[ecClaims](NewContext(context.Background(), vt))
			if err != nil || !reflect.DeepEqual(got, v) {
				t.Fatalf("ClaimsAs = %+v, %v; Decode = %+v", got, err, v)
			}
			// A map sees every member, under its own name.
			var m map[string]any
			if err := vt.Decode(&m); err != nil {
				t.Fatal(err)
			}
			for k := range c.claims {
				if _, ok := m[k]; !ok {
					t.Fatalf("map decoding lost %q", k)
				}
			}
		})
	}
}

// TestStructFieldsAgreesWithEncodingJSON: for payloads whose every member
// name is exact, Decode gives what encoding/json gives, including the
// choices among embedded fields that encoding/json makes.
func TestStructFieldsAgreesWithEncodingJSON(t *testing.T) {
	type inner struct {
		A string // ambiguous with inner2.A: encoding/json drops both
		B string
	}
	type inner2 struct {
		A string
		C string `json:"c"`
	}
	type tagged struct {
		D string `json:"d"`
	}
	type outer struct {
		inner         // A ambiguous with inner2's at depth 1, B promoted
		inner2        // C promoted
		T      tagged `json:"t"` // tagged embedded struct: a field named t
		Skip   string `json:"-"`
		//lint:ignore SA5008 deliberate: encoding/json names this field "-"
		Dash string `json:"-,"`
		Opt  int    `json:"opt,string"`
		//lint:ignore U1000 deliberate: an unexported field is never decoded
		hidden string
	}
	payload := `{"A":"1","B":"2","c":"3","t":{"d":"4"},"Skip":"x","-":"5","opt":"7","hidden":"h"}`
	var want, got outer
	if err := json.Unmarshal([]byte(payload), &want); err != nil {
		t.Fatal(err)
	}
	p, err := exactCase([]byte(payload), reflect.TypeFor[*outer]())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(p, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("exactCase changed an exact payload: got %+v, want %+v (filtered %s)", got, want, p)
	}
	if string(p) != payload {
		// Only "hidden" and "Skip" (no field) may go; that rewrite is harmless.
		t.Logf("filtered: %s", p)
	}
}

// TestInvalidTagNameNeverFilled: encoding/json versions disagree on the
// name of a field whose tag name is invalid (Go 1.26 uses the Go name,
// Go 1.27 a prefix of the tag), so exact-case matching cannot know it:
// such a field is never filled, whatever the member is called.
func TestInvalidTagNameNeverFilled(t *testing.T) {
	type claims struct {
		//lint:ignore SA5008 deliberate: the invalid tag name is the case under test
		Bad  string `json:"a\"b"`
		Good string `json:"good"`
	}
	for _, name := range []string{"Bad", "bad", "a", "A", `a\"b`} {
		payload := `{"` + name + `":"x","good":"y"}`
		p, err := exactCase([]byte(payload), reflect.TypeFor[*claims]())
		if err != nil {
			t.Fatal(err)
		}
		var got claims
		if err := json.Unmarshal(p, &got); err != nil {
			t.Fatal(err)
		}
		if got != (claims{Good: "y"}) {
			t.Errorf("member %q: got %+v, want only Good filled (filtered %s)", name, got, p)
		}
	}
}

// TestClaimsTypeMismatchIs500: claims that do not fit the application's
// type are a server bug, not a bad token. ClaimsAs and Decode return
// ErrClaimsType; WriteError answers 500 claims_type_mismatch (never 401
// "Invalid token", with or without LegacyStatusCodes or an ErrorHandler)
// and logs the cause to Config.Logger.
func TestClaimsTypeMismatchIs500(t *testing.T) {
	type wrong struct {
		Org int `json:"org"` // the token's org is a string
	}
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"default", Config{}},
		{"legacy statuses", Config{LegacyStatusCodes: true}},
		{"error handler", Config{ErrorHandler: WriteError}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs strings.Builder
			cfg := c.cfg
			cfg.Keys.SecretKey = testSecret
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			a := mustNew(t, cfg)
			tok := must(a.CreateAccessToken("alice", WithClaims(map[string]any{"org": "acme"})))
			var decodeErr error
			h := a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := ClaimsAs[wrong](r.Context())
				decodeErr = err
				a.WriteError(w, r, err)
			}))
			w := do(t, h, "GET", "/", map[string]string{"Authorization": "Bearer " + tok})
			if !errors.Is(decodeErr, ErrClaimsType) || !strings.Contains(decodeErr.Error(), "cannot unmarshal") {
				t.Fatalf("ClaimsAs: %v, want ErrClaimsType with the cause", decodeErr)
			}
			if w.status != 500 || w.www != "" {
				t.Fatalf("status %d, WWW-Authenticate %q: want 500 without blaming the token", w.status, w.www)
			}
			if w.body["code"] != string(CodeClaimsType) {
				t.Fatalf("body %v", w.body)
			}
			if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "claims_type_mismatch") || !strings.Contains(l, "cannot unmarshal") {
				t.Fatalf("not logged with its cause: %q", l)
			}
		})
	}
	t.Run("Decode into a non-pointer", func(t *testing.T) {
		a := mustNew(t, Config{Keys: KeyConfig{SecretKey: testSecret}})
		vt := must(a.Verify(context.Background(), must(a.CreateAccessToken("alice")), Requirement{}))
		if err := vt.Decode(wrong{}); !errors.Is(err, ErrClaimsType) {
			t.Fatalf("Decode(non-pointer): %v", err)
		}
	})
}
