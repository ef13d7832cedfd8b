package authjwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/librenz/authjwt"
)

const (
	envTestPrivatePEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
	envTestPublicPEM  = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
)

// envFull sets every variable ConfigFromEnv reads except the _FILE forms
// (which conflict with their plain forms and are tested apart), each to a
// value different from its default, in the various accepted spellings.
var envFull = []string{
	"PATH=/usr/bin", // not ours: ignored
	"HOME=/root",
	"AUTHJWT_COMPAT=libre-fastapi-jwt",
	"AUTHJWT_SECRET_KEY=s3cr3t-0123456789abcdef0123456789abcdef",
	"AUTHJWT_PRIVATE_KEY=" + envTestPrivatePEM,
	"AUTHJWT_PUBLIC_KEY=" + envTestPublicPEM,
	"AUTHJWT_KEY_ID=hmac-1",
	"AUTHJWT_PUBLIC_KEY_ID=es-1",
	"AUTHJWT_UNSAFE_ALLOW_SHORT_SECRET=true",
	"AUTHJWT_ALGORITHM=ES256",
	"AUTHJWT_DECODE_ALGORITHMS=ES256, HS256",
	"AUTHJWT_DECODE_KID=kid-1",
	"AUTHJWT_DECODE_LEEWAY=30",
	"AUTHJWT_ENCODE_ISSUER=https://issuer.example",
	"AUTHJWT_DECODE_ISSUER=https://other.example",
	"AUTHJWT_ALLOW_REFRESH_WITHOUT_ISSUER=true",
	`AUTHJWT_DECODE_AUDIENCE=["api", "web"]`,
	"AUTHJWT_RESOURCE=https://api.example/v1",
	"AUTHJWT_RESOURCE_METADATA=yes",
	"AUTHJWT_RESOURCE_SCOPES=admin,read",
	"AUTHJWT_DENYLIST_ENABLED=True",
	"AUTHJWT_DENYLIST_TOKEN_CHECKS=refresh",
	"AUTHJWT_STORE_TIMEOUT=500ms",
	"AUTHJWT_UNSAFE_REVOCATION_FAIL_OPEN=1",
	"AUTHJWT_HEADER_NAME=X-Auth",
	"AUTHJWT_HEADER_TYPE=JWT",
	"AUTHJWT_ACCESS_TOKEN_EXPIRES=600",
	"AUTHJWT_REFRESH_TOKEN_EXPIRES=72h",
	"AUTHJWT_ALLOW_NON_EXPIRING_TOKENS=t",
	"AUTHJWT_TOKEN_LOCATION=headers,cookies",
	"AUTHJWT_ACCESS_COOKIE_KEY=at",
	"AUTHJWT_REFRESH_COOKIE_KEY=rt",
	"AUTHJWT_ACCESS_COOKIE_PATH=/api",
	"AUTHJWT_REFRESH_COOKIE_PATH=/auth/refresh",
	"AUTHJWT_COOKIE_MAX_AGE=3600",
	"AUTHJWT_COOKIE_DOMAIN=example.com",
	"AUTHJWT_COOKIE_SECURE=false",
	"AUTHJWT_COOKIE_SAMESITE=strict",
	"AUTHJWT_COOKIE_CSRF_PROTECT=False",
	"AUTHJWT_ACCESS_CSRF_COOKIE_KEY=ca",
	"AUTHJWT_REFRESH_CSRF_COOKIE_KEY=cr",
	"AUTHJWT_ACCESS_CSRF_COOKIE_PATH=/a",
	"AUTHJWT_REFRESH_CSRF_COOKIE_PATH=/r",
	"AUTHJWT_ACCESS_CSRF_HEADER_NAME=X-CSRF-Access",
	"AUTHJWT_REFRESH_CSRF_HEADER_NAME=X-CSRF-Refresh",
	`AUTHJWT_CSRF_METHODS=["POST","DELETE"]`,
	"AUTHJWT_TRUSTED_ORIGINS=https://app.example.com, https://admin.example.com",
	"AUTHJWT_SKIP_CROSS_ORIGIN_PROTECTION=TRUE",
	"AUTHJWT_TOKEN_TYPE_CLAIM=0",
	"AUTHJWT_TOKEN_TYPE_CLAIM_NAME=kind",
	"AUTHJWT_ROLES_CLAIM=perms",
	"AUTHJWT_ACCESS_TOKEN_TYPE=acc",
	"AUTHJWT_REFRESH_TOKEN_TYPE=ref",
	"AUTHJWT_REFRESH_TOKEN_ROTATION=true",
	"AUTHJWT_REFRESH_REUSE_GRACE=5",
	"AUTHJWT_REVOCATION_MAX_STALENESS=250ms",
	"AUTHJWT_SESSIONS_ENABLED=true",
	"AUTHJWT_SESSIONS_MAX_PER_SUBJECT=20",
	"AUTHJWT_SESSIONS_CLIENT_IP_HEADER=X-Real-IP",
	"AUTHJWT_SESSIONS_TRACK_ACCESS=true",
	"AUTHJWT_MAX_TOKEN_SIZE=16384",
	"AUTHJWT_VERIFY_CACHE_SIZE=1000",
	"AUTHJWT_LEGACY_STATUS_CODES=true",
	"AUTHJWT_WEBSOCKET_QUERY_PARAM=access",
	"AUTHJWT_WEBSOCKET_NO_QUERY_TOKEN=true",
	"AUTHJWT_WEBSOCKET_CSRF_QUERY_PARAM=csrf",
	"AUTHJWT_DPOP=required",
	"AUTHJWT_DPOP_ALGORITHMS=ES256,EdDSA",
	"AUTHJWT_DPOP_PROOF_LIFETIME=30",
	"AUTHJWT_DPOP_NONCE=true",
	"AUTHJWT_DPOP_NONCE_KEY=0123456789abcdef0123456789abcdef-nonce",
	"AUTHJWT_DPOP_NONCE_LIFETIME=2m",
	"AUTHJWT_DPOP_EXTERNAL_URL=https://api.example.com/v1",
}

// envFullWant is envFull as a Config.
var envFullWant = authjwt.Config{
	Compat: authjwt.CompatLibreFastAPIJWT,
	Keys: authjwt.KeyConfig{
		SecretKey:              "s3cr3t-0123456789abcdef0123456789abcdef",
		UnsafeAllowShortSecret: true,
		KeyID:                  "hmac-1",
		PublicKeyID:            "es-1",
		PrivateKey:             envTestPrivatePEM,
		PublicKey:              envTestPublicPEM,
		Algorithm:              "ES256",
		DecodeAlgorithms:       []string{"ES256", "HS256"},
		DecodeKID:              "kid-1",
	},
	Claims: authjwt.ClaimsConfig{
		DecodeLeeway:              30 * time.Second,
		EncodeIssuer:              "https://issuer.example",
		DecodeIssuer:              "https://other.example",
		AllowRefreshWithoutIssuer: true,
		DecodeAudience:            []string{"api", "web"},
		RolesClaim:                "perms",
	},
	Resource: authjwt.ResourceConfig{Identifier: "https://api.example/v1", Metadata: true, Scopes: []string{"admin", "read"}},
	Revocation: authjwt.RevocationConfig{
		Enabled:        true,
		Checks:         []string{"refresh"},
		Timeout:        500 * time.Millisecond,
		UnsafeFailOpen: true,
		Rotation:       true,
		ReuseGrace:     5 * time.Second,
		MaxStaleness:   250 * time.Millisecond,
	},
	Sessions: authjwt.SessionConfig{
		Enabled:        true,
		MaxPerSubject:  20,
		ClientIPHeader: "X-Real-IP",
		TrackAccess:    true,
	},
	Header: authjwt.HeaderConfig{
		Name: "X-Auth",
		Type: "JWT",
	},
	Expiry: authjwt.ExpiryConfig{
		Access:           600 * time.Second,
		Refresh:          72 * time.Hour,
		AllowNonExpiring: true,
	},
	TokenLocation: []string{"headers", "cookies"},
	Cookies: authjwt.CookieConfig{
		Access: authjwt.TokenCookie{
			Name:       "at",
			Path:       "/api",
			CSRFName:   "ca",
			CSRFPath:   "/a",
			CSRFHeader: "X-CSRF-Access",
		},
		Refresh: authjwt.TokenCookie{
			Name:       "rt",
			Path:       "/auth/refresh",
			CSRFName:   "cr",
			CSRFPath:   "/r",
			CSRFHeader: "X-CSRF-Refresh",
		},
		MaxAge:                    time.Hour,
		Domain:                    "example.com",
		Insecure:                  true,
		SameSite:                  "strict",
		UnsafeDisableCSRF:         true,
		CSRFMethods:               []string{"POST", "DELETE"},
		TrustedOrigins:            []string{"https://app.example.com", "https://admin.example.com"},
		SkipCrossOriginProtection: true,
	},
	TypeClaim: authjwt.TypeClaimConfig{
		Skip:    true,
		Name:    "kind",
		Access:  "acc",
		Refresh: "ref",
	},
	MaxTokenSize:      16384,
	VerifyCacheSize:   1000,
	LegacyStatusCodes: true,
	WebSocket: authjwt.WebSocketConfig{
		QueryParam:     "access",
		NoQueryToken:   true,
		CSRFQueryParam: "csrf",
	},
	DPoP: authjwt.DPoPConfig{
		Mode:          "required",
		Algorithms:    []string{"ES256", "EdDSA"},
		ProofLifetime: 30 * time.Second,
		Nonce:         true,
		NonceKey:      "0123456789abcdef0123456789abcdef-nonce",
		NonceLifetime: 2 * time.Minute,
		ExternalURL:   "https://api.example.com/v1",
	},
}

func TestConfigFromEnvRoundTrip(t *testing.T) {
	got, err := authjwt.ConfigFromEnv(envFull)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(authjwt.WithoutOrigin(got), envFullWant) {
		t.Errorf("ConfigFromEnv(envFull):\n got %+v\nwant %+v", got, envFullWant)
	}
	// The round trip is only complete if it sets every field of Config
	// that text can express (strings, bools, ints, durations, string
	// lists) away from its zero value. Header.BareToken is excepted: it
	// excludes Header.Type and has its own row in TestConfigFromEnvValues.
	// Keys, stores, hooks and the like (interfaces, funcs, pointers) are
	// set in code. A new text field fails here until it gets a variable.
	eachLeafField(reflect.ValueOf(envFullWant), func(path string, f reflect.StructField, v reflect.Value) {
		switch f.Type.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		case reflect.Slice:
			if f.Type.Elem().Kind() != reflect.String {
				return
			}
		default:
			return
		}
		if path == "Header.BareToken" {
			return
		}
		if v.IsZero() {
			t.Errorf("Config.%s is not covered by the round trip (zero in envFullWant): add an AUTHJWT_ variable for it", path)
		}
	})
}

// eachLeafField calls fn for every exported field of the struct v,
// descending into the fields that are structs themselves (the sections
// of Config, Cookies.Access): path is the field's dotted path
// ("Cookies.Access.Name").
func eachLeafField(v reflect.Value, fn func(path string, f reflect.StructField, v reflect.Value)) {
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(v.Field(i), prefix+f.Name+".")
				continue
			}
			fn(prefix+f.Name, f, v.Field(i))
		}
	}
	walk(v, "")
}

// TestConfigFromEnvDocTable checks the variable table in the doc comment
// of ConfigFromEnv against the loader: every row names a variable that
// sets exactly the Config field the row names, and the rows are exactly
// the variables the round trip and the file tests exercise, so the table,
// the tests and the loader cannot drift apart.
func TestConfigFromEnvDocTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "env.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "ConfigFromEnv" {
			doc = fd.Doc.Text()
		}
	}
	row := regexp.MustCompile(`(?m)^\t([A-Z_]+)\s{2,}(\S+)\s{2,}.+?\s{2,}([A-Za-z.]+)\s{2,}\S`)
	rows := row.FindAllStringSubmatch(doc, -1)
	if len(rows) < 2 || rows[0][1] != "NAME" {
		t.Fatalf("no variable table in the doc comment of ConfigFromEnv (found %d rows)", len(rows))
	}
	file := filepath.Join(t.TempDir(), "value")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A value per type that sets the field away from its zero value.
	values := map[string]string{"string": "x", "URL": "https://x.example", "PEM": "x", "path": file, "list": "x", "duration": "7", "lifetime": "7", "int": "300", "bool": "true"}
	var documented []string
	for _, m := range rows[1:] {
		name, typ, field := "AUTHJWT_"+m[1], m[2], m[3]
		documented = append(documented, name)
		value, ok := values[typ]
		if !ok {
			t.Errorf("%s: unknown type %q in the table", name, typ)
			continue
		}
		switch name {
		case "AUTHJWT_COOKIE_SECURE", "AUTHJWT_COOKIE_CSRF_PROTECT", "AUTHJWT_TOKEN_TYPE_CLAIM":
			value = "false" // the seed's positive names set our negative fields
		}
		cfg, err := authjwt.ConfigFromEnv([]string{name + "=" + value})
		if err != nil {
			t.Errorf("%s=%s: %v", name, value, err)
			continue
		}
		eachLeafField(reflect.ValueOf(authjwt.WithoutOrigin(cfg)), func(fname string, _ reflect.StructField, v reflect.Value) {
			if set := !v.IsZero(); set != (fname == field) {
				t.Errorf("%s=%s: Config.%s set=%v; the table says it sets %s", name, value, fname, set, field)
			}
		})
	}
	var tested []string
	for _, kv := range envFull {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AUTHJWT_") {
			tested = append(tested, k)
		}
	}
	tested = append(tested, "AUTHJWT_SECRET_KEY_FILE", "AUTHJWT_PRIVATE_KEY_FILE", "AUTHJWT_PUBLIC_KEY_FILE")
	slices.Sort(documented)
	slices.Sort(tested)
	if !slices.Equal(documented, tested) {
		t.Errorf("doc table and tests disagree:\ndocumented %v\ntested     %v", documented, tested)
	}
}

func TestConfigFromEnvValues(t *testing.T) {
	tests := []struct {
		name string
		why  string
		env  []string
		want authjwt.Config
	}{
		{"empty environ", "no variable gives the zero Config, i.e. every default of New",
			nil, authjwt.Config{}},
		{"foreign variables", "variables without the prefix are not ours",
			[]string{"AUTHJWTX=1", "MY_AUTHJWT_SECRET_KEY=x", "noequals", "=C:=C:\\"}, authjwt.Config{}},
		{"empty means default", "an empty value behaves as unset, for every kind",
			[]string{"AUTHJWT_ALGORITHM=", "AUTHJWT_ACCESS_TOKEN_EXPIRES=", "AUTHJWT_COOKIE_SECURE=", "AUTHJWT_TOKEN_LOCATION=", "AUTHJWT_MAX_TOKEN_SIZE=", "AUTHJWT_SECRET_KEY_FILE="},
			authjwt.Config{}},
		{"empty HEADER_TYPE", "the seed's empty header type means the bare token",
			[]string{"AUTHJWT_HEADER_TYPE="}, authjwt.Config{Header: authjwt.HeaderConfig{BareToken: true}}},
		{"value with =", "only the first = separates name and value",
			[]string{"AUTHJWT_SECRET_KEY=a=b=c"}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "a=b=c"}}},
		{"secret kept verbatim", "a secret's spaces and newline are part of it when given directly",
			[]string{"AUTHJWT_SECRET_KEY= padded secret \n"}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: " padded secret \n"}}},
		{"duplicate, same value", "a repeated identical entry is harmless",
			[]string{"AUTHJWT_ALGORITHM=HS512", "AUTHJWT_ALGORITHM=HS512"}, authjwt.Config{Keys: authjwt.KeyConfig{Algorithm: "HS512"}}},
		{"expiry seconds", "the seed's integer seconds",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=900", "AUTHJWT_REFRESH_TOKEN_EXPIRES=1209600"},
			authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: 15 * time.Minute, Refresh: 14 * 24 * time.Hour}}},
		{"expiry Go duration", "Go durations with several units",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=1h30m", "AUTHJWT_REFRESH_TOKEN_EXPIRES=500ms"},
			authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: 90 * time.Minute, Refresh: 500 * time.Millisecond}}},
		{"expiry false", "the seed's False means tokens that do not expire",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=false", "AUTHJWT_REFRESH_TOKEN_EXPIRES=False"},
			authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: authjwt.Never, Refresh: authjwt.Never}}},
		{"expiry never", "never is the readable spelling, any case",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=never", "AUTHJWT_REFRESH_TOKEN_EXPIRES=NEVER"},
			authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: authjwt.Never, Refresh: authjwt.Never}}},
		{"pydantic durations", "a seed .env file's timedelta forms: ISO 8601, [D,]HH:MM:SS, decimal seconds",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=PT15M", "AUTHJWT_REFRESH_TOKEN_EXPIRES=P1DT2H30M", "AUTHJWT_DECODE_LEEWAY=1.5",
				"AUTHJWT_COOKIE_MAX_AGE=1d,01:00:00", "AUTHJWT_STORE_TIMEOUT=00:00:02.5", "AUTHJWT_REFRESH_REUSE_GRACE=pt0.5s"},
			authjwt.Config{
				Expiry: authjwt.ExpiryConfig{
					Access:  15 * time.Minute,
					Refresh: 26*time.Hour + 30*time.Minute,
				},
				Claims: authjwt.ClaimsConfig{
					DecodeLeeway: 1500 * time.Millisecond,
				},
				Cookies: authjwt.CookieConfig{MaxAge: 25 * time.Hour},
				Revocation: authjwt.RevocationConfig{
					Timeout:    2500 * time.Millisecond,
					ReuseGrace: 500 * time.Millisecond,
				},
			}},
		{"pydantic durations, days and weeks", "P14D, P2W, 14D00:00:00",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=P14D", "AUTHJWT_REFRESH_TOKEN_EXPIRES=P2W", "AUTHJWT_COOKIE_MAX_AGE=14D00:00:00"},
			authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: 14 * 24 * time.Hour, Refresh: 14 * 24 * time.Hour}, Cookies: authjwt.CookieConfig{MaxAge: 14 * 24 * time.Hour}}},
		{"lifetime off", "pydantic reads off/no/n/f as False: no exp",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=off", "AUTHJWT_REFRESH_TOKEN_EXPIRES=No"},
			authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: authjwt.Never, Refresh: authjwt.Never}}},
		{"pydantic booleans", "yes/on/y and no/off/n, any case, as pydantic reads them",
			[]string{"AUTHJWT_DENYLIST_ENABLED=yes", "AUTHJWT_LEGACY_STATUS_CODES=On", "AUTHJWT_ALLOW_NON_EXPIRING_TOKENS=Y",
				"AUTHJWT_COOKIE_SECURE=off", "AUTHJWT_COOKIE_CSRF_PROTECT=NO", "AUTHJWT_TOKEN_TYPE_CLAIM=n", "AUTHJWT_SKIP_CROSS_ORIGIN_PROTECTION=tRuE"},
			authjwt.Config{
				Revocation:        authjwt.RevocationConfig{Enabled: true},
				LegacyStatusCodes: true,
				Expiry: authjwt.ExpiryConfig{
					AllowNonExpiring: true,
				},
				Cookies: authjwt.CookieConfig{
					Insecure:                  true,
					UnsafeDisableCSRF:         true,
					SkipCrossOriginProtection: true,
				},
				TypeClaim: authjwt.TypeClaimConfig{Skip: true},
			}},
		{"leeway zero", "0 is a real leeway (and its default)",
			[]string{"AUTHJWT_DECODE_LEEWAY=0", "AUTHJWT_REFRESH_REUSE_GRACE=0s"}, authjwt.Config{}},
		{"leeway duration", "sub-second leeway as a Go duration",
			[]string{"AUTHJWT_DECODE_LEEWAY=1500ms"}, authjwt.Config{Claims: authjwt.ClaimsConfig{DecodeLeeway: 1500 * time.Millisecond}}},
		{"seconds with plus sign", "strconv's +N form is still whole seconds",
			[]string{"AUTHJWT_COOKIE_MAX_AGE=+60"}, authjwt.Config{Cookies: authjwt.CookieConfig{MaxAge: time.Minute}}},
		{"bool true, not inverted", "COOKIE_SECURE=true is the default: Cookies.Insecure stays false",
			[]string{"AUTHJWT_COOKIE_SECURE=true", "AUTHJWT_COOKIE_CSRF_PROTECT=1", "AUTHJWT_TOKEN_TYPE_CLAIM=T"},
			authjwt.Config{}},
		{"inverted bools", "the seed's positive names map to our negative Go names",
			[]string{"AUTHJWT_COOKIE_SECURE=0", "AUTHJWT_COOKIE_CSRF_PROTECT=f", "AUTHJWT_TOKEN_TYPE_CLAIM=FALSE"},
			authjwt.Config{Cookies: authjwt.CookieConfig{Insecure: true, UnsafeDisableCSRF: true}, TypeClaim: authjwt.TypeClaimConfig{Skip: true}}},
		{"comma list trimmed", "items are trimmed of spaces",
			[]string{"AUTHJWT_TOKEN_LOCATION= headers ,\tcookies "}, authjwt.Config{TokenLocation: []string{"headers", "cookies"}}},
		{"single item", "a list of one needs no comma",
			[]string{"AUTHJWT_DECODE_AUDIENCE=api"}, authjwt.Config{Claims: authjwt.ClaimsConfig{DecodeAudience: []string{"api"}}}},
		{"JSON list", "the seed's list form, as pydantic takes it",
			[]string{`AUTHJWT_TOKEN_LOCATION=["headers","cookies"]`}, authjwt.Config{TokenLocation: []string{"headers", "cookies"}}},
		{"JSON list keeps commas", "a JSON item may contain a comma",
			[]string{`AUTHJWT_DECODE_AUDIENCE=[" a,b", "c"]`}, authjwt.Config{Claims: authjwt.ClaimsConfig{DecodeAudience: []string{" a,b", "c"}}}},
		{"JSON list with spaces around", "whitespace around the array is fine",
			[]string{"AUTHJWT_CSRF_METHODS= [\"POST\"] "}, authjwt.Config{Cookies: authjwt.CookieConfig{CSRFMethods: []string{"POST"}}}},
		{"empty denylist checks", "[] is the only way to check no token type (nil would mean both)",
			[]string{"AUTHJWT_DENYLIST_TOKEN_CHECKS=[]"}, authjwt.Config{Revocation: authjwt.RevocationConfig{Checks: []string{}}}},
		{"empty audience and origins", "[] equals the default where empty means none",
			[]string{"AUTHJWT_DECODE_AUDIENCE=[]", "AUTHJWT_TRUSTED_ORIGINS=[ ]"},
			authjwt.Config{Claims: authjwt.ClaimsConfig{DecodeAudience: []string{}}, Cookies: authjwt.CookieConfig{TrustedOrigins: []string{}}}},
		{"max token size", "an integer in bytes; New checks the minimum",
			[]string{"AUTHJWT_MAX_TOKEN_SIZE=100"}, authjwt.Config{MaxTokenSize: 100}},
		{"extra keys without extra", "server keys unknown to ConfigFromEnv are refused, see the error test; the library keys still parse",
			[]string{"AUTHJWT_KEY_ID=k"}, authjwt.Config{Keys: authjwt.KeyConfig{KeyID: "k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authjwt.ConfigFromEnv(tt.env)
			if err != nil {
				t.Fatalf("%s: unexpected error: %v", tt.why, err)
			}
			if !reflect.DeepEqual(authjwt.WithoutOrigin(got), tt.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tt.why, got, tt.want)
			}
		})
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		why  string
		env  []string
		// want lists, per expected error line, the variable it must start
		// with and a fragment it must contain.
		want [][2]string
	}{
		{"unknown with suggestion", "a typo must not fall back to the default silently",
			[]string{"AUTHJWT_ACESS_TOKEN_EXPIRES=60"},
			[][2]string{{"AUTHJWT_ACESS_TOKEN_EXPIRES", "unknown variable; did you mean AUTHJWT_ACCESS_TOKEN_EXPIRES?"}}},
		{"unknown, transposition", "swapped letters count as one edit",
			[]string{"AUTHJWT_SECERT_KEY=x"},
			[][2]string{{"AUTHJWT_SECERT_KEY", "did you mean AUTHJWT_SECRET_KEY?"}}},
		{"unknown, two edits", "distance 2 still suggests",
			[]string{"AUTHJWT_COOKIE_SAMESIT=lax"},
			[][2]string{{"AUTHJWT_COOKIE_SAMESIT", "did you mean AUTHJWT_COOKIE_SAMESITE?"}}},
		{"unknown, far", "nothing within distance 2: no guess, a pointer to the docs",
			[]string{"AUTHJWT_FOO=1"},
			[][2]string{{"AUTHJWT_FOO", "unknown variable; see the list of variables"}}},
		{"unknown value not echoed", "the value of an unknown variable may be a secret",
			[]string{"AUTHJWT_SECRETKEY=hunter2-secret"},
			[][2]string{{"AUTHJWT_SECRETKEY", "did you mean AUTHJWT_SECRET_KEY?"}}},
		{"server key without Extra", "DENYLIST_URL is the server's: plain ConfigFromEnv refuses it",
			[]string{"AUTHJWT_DENYLIST_URL=memory://"},
			[][2]string{{"AUTHJWT_DENYLIST_URL", "unknown variable"}}},
		{"lower-case name", "pydantic reads authjwt_secret_key case-insensitively; we refuse it loudly",
			[]string{"authjwt_secret_key=x"},
			[][2]string{{"AUTHJWT_SECRET_KEY", "variable names are upper-case (found authjwt_secret_key; the seed's pydantic-settings reads names in any case, authjwt does not): rename it AUTHJWT_SECRET_KEY"}}},
		{"mixed-case suffix", "only the exact upper-case name is read",
			[]string{"AUTHJWT_Algorithm=HS256"},
			[][2]string{{"AUTHJWT_ALGORITHM", "upper-case"}}},
		{"lower-case unknown", "a lower-case typo still gets a suggestion",
			[]string{"authjwt_algoritm=HS256"},
			[][2]string{{"AUTHJWT_ALGORITM", "did you mean AUTHJWT_ALGORITHM?"}}},
		{"unprintable name", "the error stays on one line",
			[]string{"AUTHJWT_X\nY=1"},
			[][2]string{{`AUTHJWT_X\nY`, "unknown variable"}}},
		{"duplicate with different values", "which one wins would depend on the reader",
			[]string{"AUTHJWT_ALGORITHM=HS256", "AUTHJWT_ALGORITHM=RS256"},
			[][2]string{{"AUTHJWT_ALGORITHM", "set more than once"}}},
		{"expiry true", "the seed refuses True as a lifetime",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=true"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", `"true" is not a lifetime`}}},
		{"expiry zero", "0 would silently become the 15m default",
			[]string{"AUTHJWT_REFRESH_TOKEN_EXPIRES=0"},
			[][2]string{{"AUTHJWT_REFRESH_TOKEN_EXPIRES", "would silently mean the default"}}},
		{"expiry 0s", "a zero Go duration likewise",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=0s"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "false/never"}}},
		{"expiry negative", "-1ns would equal Never by accident",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=-1ns"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "is negative"}}},
		{"expiry negative seconds", "negative seconds are no lifetime",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=-60"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "is negative"}}},
		{"expiry garbage", "neither seconds nor duration",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=15 minutes"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "is not a duration"}}},
		{"fractional seconds garbage", "one decimal point at most",
			[]string{"AUTHJWT_DECODE_LEEWAY=1.5.2"},
			[][2]string{{"AUTHJWT_DECODE_LEEWAY", "is not a duration"}}},
		{"seconds overflow", "seconds beyond time.Duration's range must not wrap",
			[]string{"AUTHJWT_DECODE_LEEWAY=9223372037"},
			[][2]string{{"AUTHJWT_DECODE_LEEWAY", "out of range"}}},
		{"huge integer", "beyond int64 entirely",
			[]string{"AUTHJWT_COOKIE_MAX_AGE=99999999999999999999999"},
			[][2]string{{"AUTHJWT_COOKIE_MAX_AGE", "out of range"}}},
		{"duration overflow", "a Go duration beyond range",
			[]string{"AUTHJWT_STORE_TIMEOUT=9999999999h"},
			[][2]string{{"AUTHJWT_STORE_TIMEOUT", "is not a duration"}}},
		{"never on a non-lifetime", "never only applies to the two lifetimes",
			[]string{"AUTHJWT_DECODE_LEEWAY=never"},
			[][2]string{{"AUTHJWT_DECODE_LEEWAY", "is not a duration"}}},
		{"store timeout zero", "0 would silently become the 2s default",
			[]string{"AUTHJWT_STORE_TIMEOUT=0"},
			[][2]string{{"AUTHJWT_STORE_TIMEOUT", "would silently mean the default"}}},
		{"cookie max age zero", "0 would silently mean the token's lifetime",
			[]string{"AUTHJWT_COOKIE_MAX_AGE=0"},
			[][2]string{{"AUTHJWT_COOKIE_MAX_AGE", "would silently mean the default"}}},
		{"leeway negative", "negative durations are refused everywhere",
			[]string{"AUTHJWT_DECODE_LEEWAY=-5"},
			[][2]string{{"AUTHJWT_DECODE_LEEWAY", "is negative"}}},
		{"bool garbage", "enabled is no boolean form, pydantic's included",
			[]string{"AUTHJWT_DENYLIST_ENABLED=enabled"},
			[][2]string{{"AUTHJWT_DENYLIST_ENABLED", `"enabled" is not a boolean`}}},
		{"lifetime yes", "a true form is no lifetime",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=yes"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", `"yes" is not a lifetime`}}},
		{"ISO 8601 months", "a month has no fixed length",
			[]string{"AUTHJWT_REFRESH_TOKEN_EXPIRES=P1M"},
			[][2]string{{"AUTHJWT_REFRESH_TOKEN_EXPIRES", "years and months have no fixed length"}}},
		{"ISO 8601 garbage", "a P form that is no duration says which form it expected",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=PT15X"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "not an ISO 8601 duration (e.g. PT15M"}}},
		{"ISO 8601 empty", "P alone is nothing",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=PT"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "not an ISO 8601 duration"}}},
		{"MM:SS or HH:MM", "two fields are ambiguous",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=15:00"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "not a [D,]HH:MM:SS duration (e.g. 00:15:00"}}},
		{"HH:MM:SS out of range", "minutes and seconds stay below 60",
			[]string{"AUTHJWT_ACCESS_TOKEN_EXPIRES=00:75:00"},
			[][2]string{{"AUTHJWT_ACCESS_TOKEN_EXPIRES", "not a [D,]HH:MM:SS duration"}}},
		{"negative ISO 8601", "negative durations are refused in every form",
			[]string{"AUTHJWT_DECODE_LEEWAY=-PT5S"},
			[][2]string{{"AUTHJWT_DECODE_LEEWAY", "is negative"}}},
		{"bool with space", "values are not trimmed, and the quote shows why it failed",
			[]string{"AUTHJWT_COOKIE_SECURE=false "},
			[][2]string{{"AUTHJWT_COOKIE_SECURE", `"false " is not a boolean`}}},
		{"int garbage", "bytes are a plain integer",
			[]string{"AUTHJWT_MAX_TOKEN_SIZE=8KiB"},
			[][2]string{{"AUTHJWT_MAX_TOKEN_SIZE", "not a whole number of bytes"}}},
		{"int zero", "0 would silently become the default",
			[]string{"AUTHJWT_MAX_TOKEN_SIZE=0"},
			[][2]string{{"AUTHJWT_MAX_TOKEN_SIZE", "would silently mean the default"}}},
		{"list empty item", "a doubled comma is a mistake",
			[]string{"AUTHJWT_TOKEN_LOCATION=headers,,cookies"},
			[][2]string{{"AUTHJWT_TOKEN_LOCATION", "item 2 of the comma-separated list is empty"}}},
		{"list trailing comma", "a trailing comma is an empty item",
			[]string{"AUTHJWT_CSRF_METHODS=POST,"},
			[][2]string{{"AUTHJWT_CSRF_METHODS", "item 2"}}},
		{"list only spaces", "a blank value is not empty: it is one empty item",
			[]string{"AUTHJWT_DECODE_AUDIENCE= "},
			[][2]string{{"AUTHJWT_DECODE_AUDIENCE", "item 1"}}},
		{"JSON not strings", "items must be strings",
			[]string{"AUTHJWT_DECODE_AUDIENCE=[1,2]"},
			[][2]string{{"AUTHJWT_DECODE_AUDIENCE", "not a JSON array of strings"}}},
		{"JSON broken", "a [ promises JSON",
			[]string{`AUTHJWT_TOKEN_LOCATION=["headers"`},
			[][2]string{{"AUTHJWT_TOKEN_LOCATION", "not a JSON array of strings"}}},
		{"JSON empty item", "an empty string is no item",
			[]string{`AUTHJWT_TOKEN_LOCATION=["headers",""]`},
			[][2]string{{"AUTHJWT_TOKEN_LOCATION", "item 2 of the JSON array is empty"}}},
		{"JSON null", "null is not an array of strings, and would mean the default",
			[]string{`AUTHJWT_DECODE_ALGORITHMS=[null]`},
			[][2]string{{"AUTHJWT_DECODE_ALGORITHMS", "item 1"}}},
		{"JSON [] where empty means default", "[] for TOKEN_LOCATION would silently mean headers",
			[]string{"AUTHJWT_TOKEN_LOCATION=[]"},
			[][2]string{{"AUTHJWT_TOKEN_LOCATION", "an empty list would silently mean the default"}}},
		{"several problems", "all are reported at once, one a line, in table order",
			[]string{"AUTHJWT_MAX_TOKEN_SIZE=x", "AUTHJWT_DECODE_LEEWAY=y", "AUTHJWT_NOPE=1"},
			[][2]string{{"AUTHJWT_NOPE", "unknown"}, {"AUTHJWT_DECODE_LEEWAY", "not a duration"}, {"AUTHJWT_MAX_TOKEN_SIZE", "not a whole number"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := authjwt.ConfigFromEnv(tt.env)
			if err == nil {
				t.Fatalf("%s: no error (got %+v)", tt.why, cfg)
			}
			if !reflect.DeepEqual(cfg, authjwt.Config{}) {
				t.Errorf("%s: partial Config returned with the error: %+v", tt.why, cfg)
			}
			envCheckErrorLines(t, tt.why, err, tt.want)
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: error echoes a value: %v", tt.why, err)
			}
		})
	}
}

// envCheckErrorLines checks that err has one line per want entry, each
// starting with "authjwt: <variable>: " and containing the fragment.
func envCheckErrorLines(t *testing.T, why string, err error, want [][2]string) {
	t.Helper()
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%s: got %d error lines, want %d:\n%v", why, len(lines), len(want), err)
	}
	for i, w := range want {
		prefix := "authjwt: " + w[0] + ": "
		if !strings.HasPrefix(lines[i], prefix) || !strings.Contains(lines[i], w[1]) {
			t.Errorf("%s: error line %d = %q, want prefix %q containing %q", why, i+1, lines[i], prefix, w[1])
		}
	}
}

func TestConfigFromEnvFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretNL := write("secret-nl", "file-secret\n")
	secretCRLF := write("secret-crlf", "file-secret\r\n")
	secret2NL := write("secret-2nl", "file-secret\n\n")
	secretBare := write("secret-bare", "file-secret")
	secretOnlyNL := write("secret-only-nl", "\n")
	priv := write("priv.pem", envTestPrivatePEM)
	pub := write("pub.pem", envTestPublicPEM)
	pubNoNL := write("pub-nonl.pem", strings.TrimSuffix(envTestPublicPEM, "\n"))
	empty := write("empty", "")
	big := write("big", strings.Repeat("x", 1<<20+1))
	missing := filepath.Join(dir, "missing")

	ok := []struct {
		name string
		why  string
		env  []string
		want authjwt.Config
	}{
		{"secret newline trimmed", "echo secret > file adds a newline that is not part of the secret",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + secretNL}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "file-secret"}}},
		{"secret CRLF trimmed", "a file saved on Windows",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + secretCRLF}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "file-secret"}}},
		{"only one newline trimmed", "the secret keeps everything but one newline",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + secret2NL}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "file-secret\n"}}},
		{"secret without newline", "printf secret > file",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + secretBare}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "file-secret"}}},
		{"PEM kept as is", "PEM files keep their final newline",
			[]string{"AUTHJWT_PRIVATE_KEY_FILE=" + priv, "AUTHJWT_PUBLIC_KEY_FILE=" + pub},
			authjwt.Config{Keys: authjwt.KeyConfig{PrivateKey: envTestPrivatePEM, PublicKey: envTestPublicPEM}}},
		{"PEM without newline", "nothing is added either",
			[]string{"AUTHJWT_PUBLIC_KEY_FILE=" + pubNoNL},
			authjwt.Config{Keys: authjwt.KeyConfig{PublicKey: strings.TrimSuffix(envTestPublicPEM, "\n")}}},
		{"empty plain with file", "an empty X is unset, so X_FILE alone counts",
			[]string{"AUTHJWT_SECRET_KEY=", "AUTHJWT_SECRET_KEY_FILE=" + secretBare}, authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "file-secret"}}},
		{"empty file var with plain", "an empty X_FILE is unset, so X alone counts",
			[]string{"AUTHJWT_PUBLIC_KEY=" + envTestPublicPEM, "AUTHJWT_PUBLIC_KEY_FILE="}, authjwt.Config{Keys: authjwt.KeyConfig{PublicKey: envTestPublicPEM}}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authjwt.ConfigFromEnv(tt.env)
			if err != nil {
				t.Fatalf("%s: %v", tt.why, err)
			}
			if !reflect.DeepEqual(authjwt.WithoutOrigin(got), tt.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tt.why, got, tt.want)
			}
		})
	}

	bad := []struct {
		name string
		why  string
		env  []string
		want [][2]string
	}{
		{"both secret forms", "which one wins would be a guess",
			[]string{"AUTHJWT_SECRET_KEY=x", "AUTHJWT_SECRET_KEY_FILE=" + secretNL},
			[][2]string{{"AUTHJWT_SECRET_KEY_FILE", "set both AUTHJWT_SECRET_KEY and AUTHJWT_SECRET_KEY_FILE"}}},
		{"both private forms", "likewise for keys",
			[]string{"AUTHJWT_PRIVATE_KEY_FILE=" + priv, "AUTHJWT_PRIVATE_KEY=" + envTestPrivatePEM},
			[][2]string{{"AUTHJWT_PRIVATE_KEY_FILE", "set both"}}},
		{"both public forms", "likewise for public keys",
			[]string{"AUTHJWT_PUBLIC_KEY_FILE=" + pub, "AUTHJWT_PUBLIC_KEY=" + envTestPublicPEM},
			[][2]string{{"AUTHJWT_PUBLIC_KEY_FILE", "set both"}}},
		{"missing file", "a mounted secret that is not there must stop start-up",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + missing},
			[][2]string{{"AUTHJWT_SECRET_KEY_FILE", "cannot read the file"}}},
		{"directory", "a path to a directory is no file",
			[]string{"AUTHJWT_PUBLIC_KEY_FILE=" + dir},
			[][2]string{{"AUTHJWT_PUBLIC_KEY_FILE", "cannot read the file"}}},
		{"empty file", "an empty secret file is a broken mount, not 'no secret'",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + empty},
			[][2]string{{"AUTHJWT_SECRET_KEY_FILE", "is empty"}}},
		{"newline-only secret", "empty once its newline is trimmed",
			[]string{"AUTHJWT_SECRET_KEY_FILE=" + secretOnlyNL},
			[][2]string{{"AUTHJWT_SECRET_KEY_FILE", "is empty"}}},
		{"empty PEM file", "likewise for a key file",
			[]string{"AUTHJWT_PRIVATE_KEY_FILE=" + empty},
			[][2]string{{"AUTHJWT_PRIVATE_KEY_FILE", "is empty"}}},
		{"file too large", "reads are bounded (think /dev/zero)",
			[]string{"AUTHJWT_PRIVATE_KEY_FILE=" + big},
			[][2]string{{"AUTHJWT_PRIVATE_KEY_FILE", "larger than 1048576 bytes"}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := authjwt.ConfigFromEnv(tt.env)
			if err == nil {
				t.Fatalf("%s: no error", tt.why)
			}
			envCheckErrorLines(t, tt.why, err, tt.want)
			if strings.Contains(err.Error(), "file-secret") || strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("%s: error leaks file contents: %v", tt.why, err)
			}
		})
	}
}

func TestConfigFromEnvExtra(t *testing.T) {
	server := []string{"AUTHJWT_DENYLIST_URL", "AUTHJWT_TRUSTED_ISSUER", "AUTHJWT_TRUSTED_AUDIENCE", "AUTHJWT_TRUSTED_JWKS_URL"}
	tests := []struct {
		name      string
		why       string
		env       []string
		wantCfg   authjwt.Config
		wantExtra map[string]string
		wantErr   [][2]string
	}{
		{"server keys", "the reference server's own variables are returned, not refused",
			[]string{"AUTHJWT_DENYLIST_URL=redis://127.0.0.1:6379/0", "AUTHJWT_TRUSTED_ISSUER=https://idp.example", "AUTHJWT_ALGORITHM=HS384"},
			authjwt.Config{Keys: authjwt.KeyConfig{Algorithm: "HS384"}},
			map[string]string{"AUTHJWT_DENYLIST_URL": "redis://127.0.0.1:6379/0", "AUTHJWT_TRUSTED_ISSUER": "https://idp.example"}, nil},
		{"empty extra value", "present but empty is reported, the caller decides",
			[]string{"AUTHJWT_TRUSTED_JWKS_URL="}, authjwt.Config{},
			map[string]string{"AUTHJWT_TRUSTED_JWKS_URL": ""}, nil},
		{"no extras present", "the map is empty, not nil",
			nil, authjwt.Config{}, map[string]string{}, nil},
		{"unprefixed extra", "an extra key need not carry the prefix",
			[]string{"PORT=8080"}, authjwt.Config{}, map[string]string{"PORT": "8080"}, nil},
		{"typo of an extra key", "suggestions include the extra keys",
			[]string{"AUTHJWT_DENYLIST_ULR=memory://"}, authjwt.Config{}, nil,
			[][2]string{{"AUTHJWT_DENYLIST_ULR", "did you mean AUTHJWT_DENYLIST_URL?"}}},
		{"still refuses other unknowns", "extras do not open the door to everything",
			[]string{"AUTHJWT_DENYLIST_URL=memory://", "AUTHJWT_DENYLIST=true"}, authjwt.Config{}, nil,
			[][2]string{{"AUTHJWT_DENYLIST", "unknown variable; see the list"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, extra, err := authjwt.ConfigFromEnvExtra(tt.env, append(server, "PORT")...)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("%s: no error", tt.why)
				}
				envCheckErrorLines(t, tt.why, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.why, err)
			}
			if !reflect.DeepEqual(authjwt.WithoutOrigin(cfg), tt.wantCfg) {
				t.Errorf("%s: cfg %+v, want %+v", tt.why, cfg, tt.wantCfg)
			}
			if !reflect.DeepEqual(extra, tt.wantExtra) {
				t.Errorf("%s: extra %v, want %v", tt.why, extra, tt.wantExtra)
			}
		})
	}
}

func TestLoadEnv(t *testing.T) {
	// Clear any AUTHJWT_* variable of the surrounding environment (e.g.
	// a developer's own settings); t.Setenv restores them afterwards.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(strings.ToUpper(k), "AUTHJWT_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("AUTHJWT_ACCESS_TOKEN_EXPIRES", "never")
	t.Setenv("AUTHJWT_DECODE_AUDIENCE", "a,b")
	got, err := authjwt.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := authjwt.Config{Expiry: authjwt.ExpiryConfig{Access: authjwt.Never}, Claims: authjwt.ClaimsConfig{DecodeAudience: []string{"a", "b"}}}
	if !reflect.DeepEqual(authjwt.WithoutOrigin(got), want) {
		t.Errorf("LoadEnv reads the process environment: got %+v, want %+v", got, want)
	}
	t.Setenv("AUTHJWT_SECRET_KYE", "x")
	if _, err := authjwt.LoadEnv(); err == nil || !strings.Contains(err.Error(), "did you mean AUTHJWT_SECRET_KEY?") {
		t.Errorf("LoadEnv with a typo: err = %v, want a suggestion", err)
	}
}

// TestConfigFromEnvEndToEnd goes from variables (and files) to a working
// Auth: ConfigFromEnv → New → create → verify, for HMAC and ECDSA.
func TestConfigFromEnvEndToEnd(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	secret := "0123456789abcdef0123456789abcdef0123456789abcdef" // 48 bytes: enough for HS384
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	privFile := filepath.Join(dir, "priv.pem")
	if err := os.WriteFile(privFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))

	common := []string{
		"AUTHJWT_ENCODE_ISSUER=https://issuer.example",
		"AUTHJWT_DECODE_ISSUER=https://issuer.example",
		`AUTHJWT_DECODE_AUDIENCE=["api"]`,
		"AUTHJWT_ACCESS_TOKEN_EXPIRES=60",
		"AUTHJWT_REFRESH_TOKEN_EXPIRES=false",
		"AUTHJWT_DECODE_LEEWAY=5s",
		"AUTHJWT_TOKEN_TYPE_CLAIM_NAME=kind",
	}
	tests := []struct {
		name string
		why  string
		env  []string
		// verifier, when set, is a verify-only environment that must
		// accept the tokens of env.
		verifier []string
	}{
		{"HS384 from a secret file", "the trimmed file secret signs and verifies",
			append([]string{"AUTHJWT_ALGORITHM=HS384", "AUTHJWT_SECRET_KEY_FILE=" + secretFile}, common...),
			append([]string{"AUTHJWT_ALGORITHM=HS384", "AUTHJWT_SECRET_KEY=" + secret}, common...)},
		{"ES256 from a PEM file", "a private key file signs; the public PEM alone verifies",
			append([]string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PRIVATE_KEY_FILE=" + privFile}, common...),
			append([]string{"AUTHJWT_ALGORITHM=ES256", "AUTHJWT_PUBLIC_KEY=" + pubPEM}, common...)},
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := authjwt.ConfigFromEnv(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Logger = quiet
			a, err := authjwt.New(cfg)
			if err != nil {
				t.Fatalf("%s: New: %v", tt.why, err)
			}
			pair, err := a.CreatePair("alice", authjwt.WithAudience("api"), authjwt.WithFresh(true))
			if err != nil {
				t.Fatal(err)
			}
			vcfg, err := authjwt.ConfigFromEnv(tt.verifier)
			if err != nil {
				t.Fatal(err)
			}
			vcfg.Logger = quiet
			v, err := authjwt.New(vcfg)
			if err != nil {
				t.Fatalf("%s: New(verifier): %v", tt.why, err)
			}
			ctx := context.Background()
			for _, verifier := range []*authjwt.Auth{a, v} {
				tok, err := verifier.Verify(ctx, pair.AccessToken, authjwt.Requirement{Fresh: true})
				if err != nil {
					t.Fatalf("%s: Verify(access): %v", tt.why, err)
				}
				if tok.Subject() != "alice" || tok.Issuer() != "https://issuer.example" || tok.Type() != "access" {
					t.Errorf("%s: token sub=%q iss=%q type=%q", tt.why, tok.Subject(), tok.Issuer(), tok.Type())
				}
				if _, err := verifier.Verify(ctx, pair.RefreshToken, authjwt.Requirement{Refresh: true}); err != nil {
					t.Errorf("%s: Verify(refresh): %v", tt.why, err)
				}
				// The settings from the environment are in force: the
				// refresh token is not an access token, and a token for
				// another audience is refused.
				if _, err := verifier.Verify(ctx, pair.RefreshToken, authjwt.Requirement{}); err == nil {
					t.Errorf("%s: refresh token accepted as access token", tt.why)
				}
			}
			other, err := a.CreateAccessToken("bob", authjwt.WithAudience("elsewhere"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(ctx, other, authjwt.Requirement{}); err == nil {
				t.Errorf("%s: token for another audience accepted", tt.why)
			}
			got := a.Config()
			if got.Expiry.Access != time.Minute || got.Expiry.Refresh != authjwt.Never || got.Claims.DecodeLeeway != 5*time.Second || got.TypeClaim.Name != "kind" {
				t.Errorf("%s: Config in effect %+v", tt.why, got)
			}
		})
	}
}

// FuzzConfigFromEnv feeds arbitrary environments (one entry a line) to
// the loader: it must never panic, every error line must name a variable,
// the result must be deterministic, and New must survive what it returns.
// *_FILE values are written to a temporary file whose path replaces them,
// so the fuzzer exercises file reading without touching arbitrary paths.
func FuzzConfigFromEnv(f *testing.F) {
	for _, s := range [][]string{
		envFull,
		{"AUTHJWT_ACCESS_TOKEN_EXPIRES=never", "AUTHJWT_REFRESH_TOKEN_EXPIRES=-1ns"},
		{`AUTHJWT_TOKEN_LOCATION=["headers","cookies"]`, "AUTHJWT_CSRF_METHODS=POST,,"},
		{"AUTHJWT_SECRET_KEY_FILE=secret\n", "AUTHJWT_SECRET_KEY=x"},
		{"AUTHJWT_PRIVATE_KEY_FILE=" + envTestPrivatePEM},
		{"authjwt_secret_kye=x", "AUTHJWT_HEADER_TYPE=", "AUTHJWT_DENYLIST_URL=memory://"},
		{"AUTHJWT_DECODE_LEEWAY=9223372037", "AUTHJWT_MAX_TOKEN_SIZE=-1", "AUTHJWT_DENYLIST_TOKEN_CHECKS=[]"},
		{"AUTHJWT_ALGORITHM=RS256", "AUTHJWT_ALGORITHM=RS256", "=C:=C:\\"},
	} {
		f.Add(strings.Join(s, "\x00"))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, in string) {
		environ := strings.Split(in, "\x00")
		var dir string
		for i, kv := range environ {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(k, "AUTHJWT_") || !strings.HasSuffix(k, "_FILE") {
				continue
			}
			if dir == "" {
				dir = t.TempDir()
			}
			p := filepath.Join(dir, fmt.Sprint(i))
			if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
				t.Fatal(err)
			}
			environ[i] = k + "=" + p
		}
		cfg, extra, err := authjwt.ConfigFromEnvExtra(environ, "AUTHJWT_DENYLIST_URL")
		cfg2, extra2, err2 := authjwt.ConfigFromEnvExtra(environ, "AUTHJWT_DENYLIST_URL")
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) ||
			!reflect.DeepEqual(cfg, cfg2) || !reflect.DeepEqual(extra, extra2) {
			t.Fatalf("not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !regexp.MustCompile(`^authjwt: AUTHJWT_[^ ]*: `).MatchString(line) {
					t.Fatalf("error line does not name a variable: %q", line)
				}
			}
			return
		}
		cfg.Logger = quiet
		if cfg.Expiry.Access < 0 && cfg.Expiry.Access != authjwt.Never ||
			cfg.Expiry.Refresh < 0 && cfg.Expiry.Refresh != authjwt.Never ||
			cfg.Claims.DecodeLeeway < 0 || cfg.Revocation.Timeout < 0 || cfg.Cookies.MaxAge < 0 || cfg.Revocation.ReuseGrace < 0 || cfg.Revocation.MaxStaleness < 0 {
			t.Fatalf("negative duration accepted: %+v", cfg)
		}
		_, _ = authjwt.New(cfg) // errors are fine; panics are not
	})
}

// ExampleConfigFromEnv configures an Auth from the environment.
func ExampleConfigFromEnv() {
	environ := []string{ // in a program: os.Environ(), or use authjwt.LoadEnv()
		"AUTHJWT_SECRET_KEY=0123456789abcdef0123456789abcdef",
		"AUTHJWT_ACCESS_TOKEN_EXPIRES=900",
		"AUTHJWT_REFRESH_TOKEN_EXPIRES=false",
		"AUTHJWT_TOKEN_LOCATION=headers,cookies",
	}
	cfg, err := authjwt.ConfigFromEnv(environ)
	if err != nil {
		fmt.Println(err)
		return
	}
	auth, err := authjwt.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(auth.Config().Expiry.Access, auth.Config().Expiry.Refresh == authjwt.Never, auth.Config().TokenLocation)

	_, err = authjwt.ConfigFromEnv([]string{"AUTHJWT_ACESS_TOKEN_EXPIRES=900"})
	fmt.Println(err)
	// Output:
	// 15m0s true [headers cookies]
	// authjwt: AUTHJWT_ACESS_TOKEN_EXPIRES: unknown variable; did you mean AUTHJWT_ACCESS_TOKEN_EXPIRES?
}
