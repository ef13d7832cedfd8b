package authjwt_test

// The migration suite (issue 17): libre-fastapi-jwt's own output, recorded
// in ../shared/seed-vectors (see its README for the schema), checked
// against authjwt under the settings docs/migrating-from-libre-fastapi-jwt.md
// prescribes. The data is read at test time and never copied here.
//
//   - TestSeedTokensVerify: every seed-minted token verifies, with the clock
//     at its iat, with the same claims and header; a token the seed refuses
//     is refused with the seed's status and detail.
//   - TestSeedTokensMint: authjwt, called as the seed was, mints tokens with
//     the seed's claim names, JSON types, lifetimes and JOSE header.
//   - TestSeedResponses: every recorded exchange is replayed against the
//     seed's example app written with authjwt: statuses, detail messages,
//     bodies and Set-Cookie headers.
//
// A check that does not pass must be listed in seedDifferences with its
// reason, and the guide lists it (TestSeedDifferencesDocumented); a listed
// check that passes fails the suite, so the table stays true.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/keys"
	"github.com/librenz/authjwt/revoke"
)

// seedDifferences lists the checks (case name, "/", check) that do not
// reproduce the seed, each with its reason. Every entry is a deliberate
// difference named in the guide's "Deliberate differences" section.
var seedDifferences = map[string]string{
	// Issuer.
	"issuer-refresh/mint":         "EncodeIssuer stamps refresh tokens too; the seed ignores iss on them",
	"issuer-pair.refresh/mint":    "EncodeIssuer stamps refresh tokens too; the seed ignores iss on them",
	"iss-wrong-optional/response": "authjwt checks iss on optional routes too; the seed's jwt_optional accepts another issuer's token",

	// kid.
	"dynamic-hs256-with-public-key/keyset": "in a Keys.Set a kid names one key bound to one algorithm; the seed stamps its RSA key's kid on HMAC tokens too",

	// Deliberate: authjwt is stricter or more exact.
	"hs256-access-expired/mint":                "authjwt refuses a negative lifetime (a token born expired); the seed mints it",
	"hs256-access-int-subject/mint":            "authjwt's subjects are strings (RFC 7519 §4.1.2); the seed mints a number and then refuses its own token",
	"hs256-access-headers-arg/mint":            "WithHeaders cannot replace typ",
	"hdr-lowercase-scheme/response":            "authjwt matches the scheme case-insensitively (RFC 7235 §2.1); the seed refuses \"bearer\"",
	"dual-other-scheme-with-cookie/response":   "authjwt treats another scheme as no credentials of ours (RFC 6750 §3) and reads the cookie; the seed answers 422",
	"type-off-revoked-still-accepted/response": "authjwt checks revocation with the type claim off; the seed then skips its denylist",
	"denylist-access-only/response":            "revoking a refresh token that Revocation.Checks leaves unchecked is 501 revocation_disabled; the seed answers 200 and keeps accepting it",
	"ck-insecure/response":                     "with AUTHJWT_COOKIE_SECURE=false authjwt drops the __Host- prefix browsers require Secure for; the seed keeps names browsers drop",
	"hdr-partner-missing/response":             "authjwt names the missing claim; the seed's message always says \"team\"",
}

// seedGuideEnv returns the AUTHJWT_* variables the guide prescribes for a
// case: the mapping of the seed's settings (authjwt_env) plus the
// compatibility profile. The vectors' authjwt_env_compat (the separate
// settings a team would need without the profile) is left out: the
// profile must cover it (TestSeedCompatCoversSettings).
func seedGuideEnv(c *seedCase) []string {
	env := map[string]string{}
	maps.Copy(env, c.Env)
	env["AUTHJWT_COMPAT"] = authjwt.CompatLibreFastAPIJWT
	var out []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

type seedCase struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Kind        string            `json:"kind"`
	SeedConfig  map[string]any    `json:"seed_config"`
	Env         map[string]string `json:"authjwt_env"`
	EnvCompat   map[string]string `json:"authjwt_env_compat"`
	Key         string            `json:"key"`

	// token cases
	TokenType        string         `json:"token_type"`
	MintedBy         seedMint       `json:"minted_by"`
	Token            string         `json:"token"`
	DecodedHeader    map[string]any `json:"decoded_header"`
	DecodedPayload   map[string]any `json:"decoded_payload"`
	Iat              int64          `json:"iat"`
	SeedVerification struct {
		OK     bool   `json:"ok"`
		As     string `json:"as"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	} `json:"seed_verification"`
	PairOf string `json:"pair_of"`

	// response cases
	Route    string         `json:"route"`
	Now      int64          `json:"now"`
	Prior    []seedExchange `json:"prior"`
	Request  seedRequest    `json:"request"`
	Response seedResponse   `json:"response"`
	Tokens   []seedToken    `json:"tokens"`
}

type seedMint struct {
	Call   string `json:"call"`
	Result string `json:"result"`
	Args   struct {
		Subject     any            `json:"subject"`
		Fresh       *bool          `json:"fresh"`
		Algorithm   *string        `json:"algorithm"`
		Headers     map[string]any `json:"headers"`
		ExpiresTime any            `json:"expires_time"`
		Audience    any            `json:"audience"`
		UserClaims  map[string]any `json:"user_claims"`
	} `json:"args"`
	ByRoute    string         `json:"by_route"`
	SeedConfig map[string]any `json:"seed_config"`
}

type seedRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers [][2]string       `json:"headers"`
	Cookies orderedStringsMap `json:"cookies"`
	Body    json.RawMessage   `json:"body"`
}

type seedResponse struct {
	Status    int         `json:"status"`
	Body      any         `json:"body"`
	SetCookie []string    `json:"set_cookie"`
	Headers   [][2]string `json:"headers"`
}

type seedExchange struct {
	Request  seedRequest  `json:"request"`
	Response seedResponse `json:"response"`
}

type seedToken struct {
	Where          []string       `json:"where"`
	Token          string         `json:"token"`
	DecodedHeader  map[string]any `json:"decoded_header"`
	DecodedPayload map[string]any `json:"decoded_payload"`
	Key            string         `json:"key"`
	MintedBy       seedMint       `json:"minted_by"`
}

// orderedStringsMap is a JSON object of strings kept in its order (the
// seed's Cookie header lists them in that order).
type orderedStringsMap [][2]string

func (m *orderedStringsMap) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*m = append(*m, [2]string{k.(string), v})
	}
	return nil
}

type seedSet struct {
	dir   string
	cases []*seedCase
}

var (
	seedOnce sync.Once
	seedData *seedSet
	seedErr  error
)

// seedVectorsDir finds the seed vectors: $AUTHJWT_SEED_VECTORS, or a
// shared/seed-vectors directory in the module root or one of its parents
// (the worktrees' ../shared).
func seedVectorsDir() (string, error) {
	if d := os.Getenv("AUTHJWT_SEED_VECTORS"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "cases.json")); err != nil {
			return "", fmt.Errorf("AUTHJWT_SEED_VECTORS=%s: %v", d, err)
		}
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		d := filepath.Join(dir, "shared", "seed-vectors")
		if _, err := os.Stat(filepath.Join(d, "cases.json")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// loadSeed reads the vectors once, or skips the test (fails it with
// AUTHJWTTEST_REQUIRE_SERVICES=1, as in CI) when they are absent.
func loadSeed(t *testing.T) *seedSet {
	t.Helper()
	seedOnce.Do(func() {
		dir, err := seedVectorsDir()
		if err != nil || dir == "" {
			seedErr = err
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
		if err != nil {
			seedErr = err
			return
		}
		s := &seedSet{dir: dir}
		if err := json.Unmarshal(b, &s.cases); err != nil {
			seedErr = fmt.Errorf("%s: %v", filepath.Join(dir, "cases.json"), err)
			return
		}
		seedData = s
	})
	if seedErr != nil {
		t.Fatalf("seed vectors: %v", seedErr)
	}
	if seedData == nil {
		msg := "seed vectors not found: put them in a shared/seed-vectors directory above the module root, or set AUTHJWT_SEED_VECTORS to their directory"
		if os.Getenv("AUTHJWTTEST_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + "\n(AUTHJWTTEST_REQUIRE_SERVICES=1: the seed vectors are required)")
		}
		t.Skip(msg)
	}
	return seedData
}

// seedChecks records the outcome of each check against seedDifferences.
type seedChecks struct {
	mu   sync.Mutex
	seen map[string]bool
}

// expect reports a failing check that is not a listed difference, and a
// listed difference whose check passes.
func (sc *seedChecks) expect(t *testing.T, key string, err error) {
	t.Helper()
	sc.mu.Lock()
	if sc.seen == nil {
		sc.seen = map[string]bool{}
	}
	sc.seen[key] = true
	sc.mu.Unlock()
	reason, listed := seedDifferences[key]
	switch {
	case err != nil && !listed:
		t.Errorf("%s: %v", key, err)
	case err != nil:
		t.Logf("%s: deliberate difference (%s): %v", key, reason, err)
	case listed:
		t.Errorf("%s passes but is listed in seedDifferences (%s): remove it there and from the guide", key, reason)
	}
}

// done fails for table entries of this check kind that no case ran
// (unless -run chose the cases).
func (sc *seedChecks) done(t *testing.T, suffix string) {
	t.Helper()
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		return
	}
	for k := range seedDifferences {
		if strings.HasSuffix(k, "/"+suffix) && !sc.seen[k] {
			t.Errorf("seedDifferences lists %s, which no case checks", k)
		}
	}
}

// seedConfig builds the Config the guide prescribes for c, with the clock
// at now and, when revocation is on, an in-memory store on that clock.
func seedConfig(t *testing.T, c *seedCase, env []string, now int64) (authjwt.Config, error) {
	t.Helper()
	cfg, err := authjwt.ConfigFromEnv(env)
	if err != nil {
		return cfg, err
	}
	clock := func() time.Time { return time.Unix(now, 0) }
	cfg.Now = clock
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.Revocation.Enabled {
		m := revoke.NewMemory(revoke.WithClock(clock), revoke.WithSweepInterval(0))
		t.Cleanup(func() { m.Close() })
		cfg.Revocation.Store = m
	}
	return cfg, nil
}

func seedAuth(t *testing.T, c *seedCase, now int64) (*authjwt.Auth, error) {
	t.Helper()
	cfg, err := seedConfig(t, c, seedGuideEnv(c), now)
	if err != nil {
		return nil, fmt.Errorf("ConfigFromEnv: %v", err)
	}
	a, err := authjwt.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("New: %v", err)
	}
	return a, nil
}

// errorResponse renders err as the Auth would answer it.
func errorResponse(a *authjwt.Auth, err error) (int, string) {
	rec := httptest.NewRecorder()
	a.WriteError(rec, httptest.NewRequest("GET", "/", nil), err)
	var body struct {
		Detail string `json:"detail"`
	}
	json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body.Detail
}

// jsonNormal round-trips v through JSON so that numbers are float64 and
// maps are map[string]any, whatever their origin.
func jsonNormal(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

// runSeedCases runs check as a subtest for every case that keep selects,
// judging each outcome against the listed differences (seedChecks) under
// the given suffix; it fails when the vectors hold no such case.
func runSeedCases(t *testing.T, s *seedSet, suffix string, keep func(*seedCase) bool, check func(*testing.T, *seedCase) error) {
	var sc seedChecks
	n := 0
	for _, c := range s.cases {
		if !keep(c) {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			sc.expect(t, c.Name+"/"+suffix, check(t, c))
		})
	}
	if n == 0 {
		t.Fatalf("no case for %q in the seed vectors", suffix)
	}
	sc.done(t, suffix)
}

func isTokenCase(c *seedCase) bool { return c.Kind == "token" }

func TestSeedTokensVerify(t *testing.T) {
	runSeedCases(t, loadSeed(t), "verify", isTokenCase, verifySeedToken)
}

func verifySeedToken(t *testing.T, c *seedCase) error {
	a, err := seedAuth(t, c, c.Iat)
	if err != nil {
		return err
	}
	req := authjwt.Requirement{Refresh: c.SeedVerification.As == "refresh"}
	tok, err := a.Verify(context.Background(), c.Token, req)
	if !c.SeedVerification.OK {
		if err == nil {
			return fmt.Errorf("accepted; the seed refuses it with %d %q", c.SeedVerification.Status, c.SeedVerification.Detail)
		}
		status, detail := errorResponse(a, err)
		if status != c.SeedVerification.Status || detail != c.SeedVerification.Detail {
			return fmt.Errorf("refused with %d %q; the seed: %d %q", status, detail, c.SeedVerification.Status, c.SeedVerification.Detail)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("refused: %v", err)
	}
	claims, err := tok.Claims()
	if err != nil {
		return err
	}
	if got, want := jsonNormal(claims), jsonNormal(c.DecodedPayload); !reflect.DeepEqual(got, want) {
		return fmt.Errorf("claims differ:\n got %v\nseed %v", got, want)
	}
	hdr, err := tok.Header()
	if err != nil {
		return err
	}
	if got, want := jsonNormal(hdr), jsonNormal(c.DecodedHeader); !reflect.DeepEqual(got, want) {
		return fmt.Errorf("header differs:\n got %v\nseed %v", got, want)
	}
	return nil
}

// TestSeedTokensKeySet: the seed's asymmetric tokens verify through a
// rotating keys.Set whose keys answer to the seed's kid as an alias
// (keys.SeedKIDAliases), and only through it: without the aliases the
// set refuses them ("Unknown kid on header"), since the seed always stamps
// a kid. The alias binds kid to key to algorithm like a kid does.
func TestSeedTokensKeySet(t *testing.T) {
	s := loadSeed(t)
	ks := loadSeedKeys(t, s)
	runSeedCases(t, s, "keyset", func(c *seedCase) bool {
		return c.Kind == "token" && c.SeedVerification.OK && c.SeedConfig["authjwt_public_key"] != nil
	}, func(t *testing.T, c *seedCase) error { return verifyWithSeedSet(t, c, ks) })
}

// TestSeedHMACTokensKeySet: the seed's HMAC tokens (kid "whoamikidding")
// verify through a keys.Set whose key for the shared secret lists that kid
// as an alias, and are refused ("Unknown kid") by a set without it.
func TestSeedHMACTokensKeySet(t *testing.T) {
	s := loadSeed(t)
	ks := loadSeedKeys(t, s)
	n := 0
	for _, c := range s.cases {
		alg, _ := c.DecodedHeader["alg"].(string)
		if c.Kind != "token" || !c.SeedVerification.OK || c.DecodedHeader["kid"] != "whoamikidding" || !keys.IsHMAC(alg) {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			secret := []byte(ks[c.Key].Secret)
			req := authjwt.Requirement{Refresh: c.SeedVerification.As == "refresh"}
			for _, aliases := range [][]string{nil, {"whoamikidding"}} {
				cfg, err := seedConfig(t, c, seedGuideEnv(c), c.Iat)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Keys.SecretKey = ""
				set := keys.NewSet()
				if _, err := set.AddSigner(keys.Key{KID: "hs-1", Alg: alg, Secret: secret, Aliases: aliases}); err != nil {
					if cfg.Keys.UnsafeAllowShortSecret {
						// Deliberate (the guide says so): a key set holds no
						// secret shorter than RFC 7518 §3.2 allows; a legacy
						// secret stays in Keys.SecretKey, whose kid the profile sets.
						t.Logf("a Keys.Set refuses the legacy short secret, as documented: %v", err)
						return
					}
					t.Fatal(err)
				}
				cfg.Keys.Set = set
				a, err := authjwt.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				_, err = a.Verify(context.Background(), c.Token, req)
				if aliases == nil && !errors.Is(err, authjwt.ErrInvalidKID) {
					t.Errorf("a set without the alias: %v; want Unknown kid", err)
				}
				if aliases != nil && err != nil {
					t.Errorf("with the alias whoamikidding: %v", err)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no HMAC token case with the seed's kid")
	}
}

type seedKey struct {
	Kind       string `json:"kind"`
	Secret     string `json:"secret"`
	PrivatePEM string `json:"private_pem"`
	SeedKID    string `json:"seed_kid"`
}

func loadSeedKeys(t *testing.T, s *seedSet) map[string]seedKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ks map[string]seedKey
	if err := json.Unmarshal(b, &ks); err != nil {
		t.Fatal(err)
	}
	return ks
}

func verifyWithSeedSet(t *testing.T, c *seedCase, ks map[string]seedKey) error {
	alg, _ := c.DecodedHeader["alg"].(string)
	kid, _ := c.DecodedHeader["kid"].(string)
	var k seedKey // the key pair whose kid the token carries
	for _, name := range slices.Sorted(maps.Keys(ks)) {
		if ks[name].SeedKID == kid && kid != "" {
			k = ks[name]
		}
	}
	if k.PrivatePEM == "" {
		return fmt.Errorf("no key pair of keys.json has the token's kid %q", kid)
	}
	signer, err := keys.ParsePrivateKeyPEM([]byte(k.PrivatePEM))
	if err != nil {
		return fmt.Errorf("key of kid %s: %v", kid, err)
	}
	if got, _ := keys.SeedKID(signer); got != k.SeedKID {
		return fmt.Errorf("keys.SeedKID = %q; keys.json's seed_kid %q", got, k.SeedKID)
	}
	build := func(opts ...keys.SetOption) (*authjwt.Auth, error) {
		cfg, err := seedConfig(t, c, seedGuideEnv(c), c.Iat)
		if err != nil {
			return nil, err
		}
		cfg.Keys.SecretKey, cfg.Keys.PrivateKey, cfg.Keys.PublicKey = "", "", ""
		set := keys.NewSet(opts...)
		keyAlg := alg
		if keys.IsHMAC(alg) {
			keyAlg = "RS256" // the key pair configured beside the secret
		}
		if _, err := set.AddSigner(keys.Key{Alg: keyAlg, Signer: signer}); err != nil {
			return nil, err
		}
		cfg.Keys.Set = set
		return authjwt.New(cfg)
	}
	req := authjwt.Requirement{Refresh: c.SeedVerification.As == "refresh"}
	plain, err := build()
	if err != nil {
		return err
	}
	if _, err := plain.Verify(context.Background(), c.Token, req); !errors.Is(err, authjwt.ErrInvalidKID) {
		return fmt.Errorf("a set without the seed's kid as alias: %v; want Unknown kid", err)
	}
	a, err := build(keys.SeedKIDAliases())
	if err != nil {
		return err
	}
	if _, err := a.Verify(context.Background(), c.Token, req); err != nil {
		return fmt.Errorf("refused: %v", err)
	}
	return nil
}

func TestSeedTokensMint(t *testing.T) {
	runSeedCases(t, loadSeed(t), "mint", isTokenCase, mintLikeSeed)
}

// mintOptions translates the seed call's arguments into authjwt options.
func mintOptions(m seedMint) ([]authjwt.TokenOption, string, error) {
	args := m.Args
	sub, ok := args.Subject.(string)
	if !ok {
		return nil, "", fmt.Errorf("subject %v (%T) is not a string: authjwt subjects are strings (RFC 7519 §4.1.2)", args.Subject, args.Subject)
	}
	var opts []authjwt.TokenOption
	if args.Fresh != nil && *args.Fresh {
		opts = append(opts, authjwt.WithFresh(true))
	}
	if args.Algorithm != nil {
		opts = append(opts, authjwt.WithAlgorithm(*args.Algorithm))
	}
	if args.Headers != nil {
		h := map[string]any{}
		for k, v := range args.Headers {
			if k == "kid" {
				continue // the seed overwrites it with its own kid
			}
			h[k] = v
		}
		opts = append(opts, authjwt.WithHeaders(h))
	}
	switch e := args.ExpiresTime.(type) {
	case nil:
	case bool:
		if !e {
			opts = append(opts, authjwt.WithNoExpiry())
		}
	case float64:
		opts = append(opts, authjwt.WithExpiry(time.Duration(e)*time.Second))
	case map[string]any:
		opts = append(opts, authjwt.WithExpiry(time.Duration(e["timedelta_seconds"].(float64))*time.Second))
	}
	switch aud := args.Audience.(type) {
	case nil:
	case string:
		opts = append(opts, authjwt.WithAudience(aud))
	case []any:
		var l []string
		for _, x := range aud {
			l = append(l, x.(string))
		}
		opts = append(opts, authjwt.WithAudience(l...))
	}
	if args.UserClaims != nil {
		opts = append(opts, authjwt.WithClaims(args.UserClaims))
	}
	return opts, sub, nil
}

func mintLikeSeed(t *testing.T, c *seedCase) error {
	a, err := seedAuth(t, c, c.Iat)
	if err != nil {
		return err
	}
	opts, sub, err := mintOptions(c.MintedBy)
	if err != nil {
		return err
	}
	var raw string
	switch c.MintedBy.Call {
	case "create_access_token":
		raw, err = a.CreateAccessToken(sub, opts...)
	case "create_refresh_token":
		raw, err = a.CreateRefreshToken(sub, opts...)
	case "create_pair_token":
		var p authjwt.Pair
		p, err = a.CreatePair(sub, opts...)
		raw = p.AccessToken
		if c.MintedBy.Result == "refresh_token" {
			raw = p.RefreshToken
		}
	default:
		return fmt.Errorf("unknown seed call %q", c.MintedBy.Call)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", c.MintedBy.Call, err)
	}
	return compareMinted(raw, c.DecodedHeader, c.DecodedPayload, c.Iat)
}

// uuidRE matches the seed's random values, uuid4; authjwt's jti is a
// uuid7 (its issue time to the millisecond, for subject cutoffs), which no
// seed code reads beyond its being a unique string.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// randomClaims hold a fresh uuid4 in every token, on both sides.
var randomClaims = map[string]bool{"jti": true, "csrf": true, "aid": true}

// compareMinted compares a token authjwt minted with the seed's decoded
// header and payload: the same header fields and values; the same claim
// names with the same JSON types; the same values, except the random
// uuid4 claims (jti, csrf, aid), whose format is checked; the same
// lifetime. now is the second both were minted in.
func compareMinted(raw string, seedHdr, seedPayload map[string]any, now int64) error {
	hdr, payload, err := decodeJWT(raw)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(hdr, jsonNormal(seedHdr)) {
		return fmt.Errorf("JOSE header differs:\n got %v\nseed %v", hdr, seedHdr)
	}
	seedP := jsonNormal(seedPayload).(map[string]any)
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(seedP)) {
		if _, ok := payload[k]; !ok {
			problems = append(problems, fmt.Sprintf("claim %q missing (seed: %v)", k, seedP[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(payload)) {
		got := payload[k]
		want, ok := seedP[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("claim %q not in the seed's token (got %v)", k, got))
			continue
		}
		if jsonKind(got) != jsonKind(want) {
			problems = append(problems, fmt.Sprintf("claim %q is a JSON %s; the seed's is a %s", k, jsonKind(got), jsonKind(want)))
			continue
		}
		switch {
		case randomClaims[k]:
			if s, _ := got.(string); !uuidRE.MatchString(s) {
				problems = append(problems, fmt.Sprintf("claim %q = %q is not a random UUID (uuid4 as the seed's, or our uuid7 jti)", k, s))
			}
		case k == "iat" || k == "nbf" || k == "exp":
			// Relative to now: the seed's and ours were minted in the same
			// second. A fractional NumericDate is compared by its second.
			g, w := int64(got.(float64)), int64(want.(float64))
			if g != w {
				problems = append(problems, fmt.Sprintf("claim %q = %d; the seed's %d (now %d)", k, g, w, now))
			}
		default:
			if !reflect.DeepEqual(got, want) {
				problems = append(problems, fmt.Sprintf("claim %q = %v; the seed's %v", k, got, want))
			}
		}
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func decodeJWT(raw string) (hdr, payload map[string]any, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("not a compact JWS: %q", raw)
	}
	dec := func(s string) (map[string]any, error) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(b, &m)
	}
	if hdr, err = dec(parts[0]); err != nil {
		return nil, nil, err
	}
	payload, err = dec(parts[1])
	return hdr, payload, err
}

func isJWT(s string) bool {
	_, _, err := decodeJWT(s)
	return err == nil
}

// seedUsers are the example app's users.
var seedUsers = map[string]struct {
	password string
	roles    []string
}{
	"alice": {"secret", []string{"admin"}},
	"bob":   {"hunter2", []string{}},
}

// seedApp is the seed's example app (its routes are in the vectors'
// README), written with authjwt as a migrating team would.
func seedApp(a *authjwt.Auth) http.Handler {
	cfg := a.Config()
	var headers, cookies bool
	for _, l := range cfg.TokenLocation {
		headers = headers || l == authjwt.LocationHeaders
		cookies = cookies || l == authjwt.LocationCookies
	}
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	fail := func(w http.ResponseWriter, r *http.Request, err error) {
		a.WriteError(w, r, err)
	}
	login := func(fresh bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var cred struct{ Username, Password string }
			json.NewDecoder(r.Body).Decode(&cred)
			u, ok := seedUsers[cred.Username]
			if !ok || u.password != cred.Password {
				reply(w, http.StatusUnauthorized, map[string]string{"detail": "Bad username or password"})
				return
			}
			roles := authjwt.WithClaims(map[string]any{"roles": u.roles})
			w.Header().Set("Cache-Control", "no-store")
			if fresh {
				at, err := a.CreateAccessToken(cred.Username, authjwt.WithFresh(true), roles)
				if err != nil {
					fail(w, r, err)
					return
				}
				if cookies {
					if err := a.SetAccessCookies(w, at); err != nil {
						fail(w, r, err)
						return
					}
				}
				if headers {
					reply(w, 200, map[string]string{"access_token": at})
				} else {
					reply(w, 200, map[string]string{"detail": "Logged in"})
				}
				return
			}
			p, err := a.CreatePair(cred.Username, authjwt.WithFresh(true), roles)
			if err != nil {
				fail(w, r, err)
				return
			}
			if cookies {
				if err := a.SetPairCookies(w, p); err != nil {
					fail(w, r, err)
					return
				}
			}
			if headers {
				reply(w, 200, p)
			} else {
				reply(w, 200, map[string]string{"detail": "Logged in"})
			}
		}
	}
	mux := http.NewServeMux()
	mux.Handle("POST /login", login(false))
	mux.Handle("POST /fresh-login", login(true))
	mux.Handle("POST /refresh", a.RefreshRequired(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := authjwt.FromContext(r.Context())
		opts := []authjwt.TokenOption{authjwt.WithClaims(map[string]any{"roles": seedUsers[rt.Subject()].roles})}
		if f := rt.Family(); f != "" {
			opts = append(opts, authjwt.WithFamily(f))
		}
		at, err := a.CreateAccessToken(rt.Subject(), opts...)
		if err != nil {
			fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if cookies {
			if err := a.SetAccessCookies(w, at); err != nil {
				fail(w, r, err)
				return
			}
		}
		if headers {
			reply(w, 200, map[string]string{"access_token": at})
		} else {
			reply(w, 200, map[string]string{"detail": "Token refreshed"})
		}
	})))
	user := func(w http.ResponseWriter, r *http.Request) {
		if t := authjwt.FromContext(r.Context()); t != nil {
			reply(w, 200, map[string]any{"user": t.Subject()})
			return
		}
		reply(w, 200, map[string]any{"user": nil})
	}
	mux.Handle("GET /protected", a.Required(http.HandlerFunc(user)))
	mux.Handle("GET /protected-fresh", a.FreshRequired(http.HandlerFunc(user)))
	mux.Handle("GET /optional", a.Optional(http.HandlerFunc(user)))
	mux.Handle("GET /admin", a.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"ok": true})
	})))
	mux.Handle("GET /claims", a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := authjwt.FromContext(r.Context())
		claims, _ := t.Claims()
		hdr, _ := t.Header()
		reply(w, 200, map[string]any{"claims": claims, "header": hdr})
	})))
	mux.Handle("POST /partner", a.RequireClaims("partner")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := authjwt.FromContext(r.Context()).Claim("partner")
		reply(w, 200, map[string]any{"partner": v})
	})))
	revokeRoute := func(family bool, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			t := authjwt.FromContext(r.Context())
			var err error
			if family {
				err = a.RevokeFamily(r.Context(), t)
			} else {
				err = a.Revoke(r.Context(), t)
			}
			if err != nil {
				fail(w, r, err)
				return
			}
			if family && cookies {
				a.UnsetCookies(w)
			}
			reply(w, 200, map[string]string{"detail": msg})
		}
	}
	mux.Handle("DELETE /access-revoke", a.Required(revokeRoute(false, "Access token has been revoked")))
	mux.Handle("DELETE /refresh-revoke", a.RefreshRequired(revokeRoute(false, "Refresh token has been revoked")))
	mux.Handle("DELETE /logout", a.Required(revokeRoute(true, "Logged out")))
	return mux
}

func (r seedRequest) httpRequest() *http.Request {
	var body io.Reader
	if len(r.Body) > 0 && string(r.Body) != "null" {
		body = bytes.NewReader(r.Body)
	}
	req := httptest.NewRequest(r.Method, r.Path, body)
	for _, h := range r.Headers {
		req.Header.Add(h[0], h[1])
	}
	if len(r.Cookies) > 0 {
		var parts []string
		for _, kv := range r.Cookies {
			parts = append(parts, kv[0]+"="+kv[1])
		}
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	return req
}

func TestSeedResponses(t *testing.T) {
	runSeedCases(t, loadSeed(t), "response", func(c *seedCase) bool { return c.Kind == "response" }, replaySeed)
}

func replaySeed(t *testing.T, c *seedCase) error {
	a, err := seedAuth(t, c, c.Now)
	if err != nil {
		return err
	}
	app := seedApp(a)
	for i, p := range c.Prior {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, p.Request.httpRequest())
		if rec.Code != p.Response.Status {
			return fmt.Errorf("prior[%d] %s %s: status %d; the seed's %d (%s)", i, p.Request.Method, p.Request.Path, rec.Code, p.Response.Status, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, c.Request.httpRequest())
	var problems []string
	if rec.Code != c.Response.Status {
		problems = append(problems, fmt.Sprintf("status %d; the seed's %d", rec.Code, c.Response.Status))
	}
	var body any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		return fmt.Errorf("body %q: %v", rec.Body, err)
	}
	if err := compareBody(body, c.Response.Body, c, ""); err != nil {
		problems = append(problems, err.Error())
	}
	if err := compareSetCookies(a, rec.Result().Header.Values("Set-Cookie"), c.Response.SetCookie, c.Now); err != nil {
		problems = append(problems, err.Error())
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// seedTokenFor returns the decoded seed token with the given compact form.
func (c *seedCase) seedTokenFor(raw string) *seedToken {
	for i := range c.Tokens {
		if c.Tokens[i].Token == raw {
			return &c.Tokens[i]
		}
	}
	return nil
}

// compareBody compares our JSON body with the seed's. Where the seed's
// body holds a token its route minted, ours must hold a token minted the
// same way (compareMinted); authjwt's error bodies add "code", which is
// left out.
func compareBody(got, want any, c *seedCase, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("body%s: %v; the seed's %v", path, got, want)
		}
		if _, isErr := w["detail"]; isErr && path == "" {
			delete(g, "code")
		}
		var problems []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, ok := g[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("body%s.%s missing (seed: %v)", path, k, w[k]))
				continue
			}
			if err := compareBody(gv, w[k], c, path+"."+k); err != nil {
				problems = append(problems, err.Error())
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				problems = append(problems, fmt.Sprintf("body%s.%s = %v not in the seed's body", path, k, g[k]))
			}
		}
		if problems != nil {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	case string:
		if st := c.seedTokenFor(w); st != nil && isJWT(w) {
			g, _ := got.(string)
			if err := compareMinted(g, st.DecodedHeader, st.DecodedPayload, c.Now); err != nil {
				return fmt.Errorf("body%s: token: %v", path, err)
			}
			return nil
		}
	}
	if !reflect.DeepEqual(jsonNormal(got), jsonNormal(want)) {
		return fmt.Errorf("body%s = %v; the seed's %v", path, got, want)
	}
	return nil
}

// setCookie is a Set-Cookie header's content, with attribute names
// lower-cased and the order of attributes left out (it has no meaning,
// RFC 6265 §5.2; Starlette sorts them, net/http does not).
type setCookie struct {
	name, value string
	attrs       map[string]string
}

func parseSetCookie(s string) setCookie {
	parts := strings.Split(s, ";")
	name, value, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
	if value == `""` {
		value = ""
	}
	c := setCookie{name: name, value: value, attrs: map[string]string{}}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		c.attrs[strings.ToLower(k)] = v
	}
	return c
}

// compareSetCookies compares our Set-Cookie headers with the seed's, in
// order: names, Path, Domain, Max-Age, Secure, HttpOnly and SameSite (its
// value case-insensitively, as browsers read it). A token cookie holds a
// token minted as the seed's (compareMinted), a CSRF cookie that token's
// csrf claim. A deletion cookie (the seed's: value "", Max-Age=0, Expires
// now) deletes the same cookie: Max-Age=0 and an Expires not after now.
func compareSetCookies(a *authjwt.Auth, got, want []string, now int64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d Set-Cookie headers; the seed's %d:\n got %q\nseed %q", len(got), len(want), got, want)
	}
	csrfOf := map[string]string{} // csrf claim of the tokens in our cookies
	var problems []string
	for i := range want {
		g, w := parseSetCookie(got[i]), parseSetCookie(want[i])
		if g.name != w.name {
			problems = append(problems, fmt.Sprintf("cookie %d is %s; the seed's %s", i, g.name, w.name))
			continue
		}
		deletion := w.attrs["max-age"] == "0"
		for _, attr := range []string{"path", "domain", "max-age", "secure", "httponly", "samesite"} {
			gv, gok := g.attrs[attr]
			wv, wok := w.attrs[attr]
			if attr == "httponly" && deletion {
				continue // irrelevant on a cookie being deleted
			}
			if gok != wok || !strings.EqualFold(gv, wv) {
				problems = append(problems, fmt.Sprintf("cookie %s: %s=%q (present %v); the seed's %q (present %v)", w.name, attr, gv, gok, wv, wok))
			}
		}
		if deletion {
			if g.value != "" {
				problems = append(problems, fmt.Sprintf("deletion cookie %s has value %q", w.name, g.value))
			}
			exp, err := http.ParseTime(g.attrs["expires"])
			if err != nil || exp.Unix() > now {
				problems = append(problems, fmt.Sprintf("deletion cookie %s: Expires=%q is not at or before now", w.name, g.attrs["expires"]))
			}
			continue
		}
		switch {
		case isJWT(w.value):
			_, wp, _ := decodeJWT(w.value)
			wh, _, _ := decodeJWT(w.value)
			if err := compareMinted(g.value, wh, wp, now); err != nil {
				problems = append(problems, fmt.Sprintf("cookie %s: %v", w.name, err))
			}
			_, gp, _ := decodeJWT(g.value)
			if cs, _ := gp["csrf"].(string); cs != "" {
				csrfOf[cs] = w.name
			}
		case uuidRE.MatchString(w.value):
			if _, ok := csrfOf[g.value]; !ok {
				problems = append(problems, fmt.Sprintf("cookie %s = %q is not the csrf claim of a token cookie set before it", w.name, g.value))
			}
		default:
			problems = append(problems, fmt.Sprintf("cookie %s: unexpected seed value %q", w.name, w.value))
		}
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// TestSeedShareTable checks the guide's table of what a seed service and
// an authjwt service need to share: every seed case a row names exists in
// the vectors and reproduces the seed (no check of it is a listed
// difference), so that each row is proved by the suite.
func TestSeedShareTable(t *testing.T) {
	s := loadSeed(t)
	b, err := os.ReadFile(filepath.Join("docs", "migrating-from-libre-fastapi-jwt.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "<!-- share-table -->")
	table, _, ok2 := strings.Cut(table, "<!-- /share-table -->")
	if !ok || !ok2 {
		t.Fatal("the guide has no share-table")
	}
	known := map[string]bool{}
	for _, c := range s.cases {
		known[c.Name] = true
	}
	cell := regexp.MustCompile("`([^`]+)`")
	rows := 0
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[2:] {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		names := cell.FindAllStringSubmatch(cells[len(cells)-1], -1)
		if len(names) == 0 {
			t.Errorf("row %q names no seed case", line)
		}
		rows++
		for _, m := range names {
			name := m[1]
			if !known[name] {
				t.Errorf("row %q: no seed case %q", cells[0], name)
			}
			for k, reason := range seedDifferences {
				if strings.HasPrefix(k, name+"/") {
					t.Errorf("row %q: seed case %q does not reproduce the seed (%s: %s)", cells[0], name, k, reason)
				}
			}
		}
	}
	if rows < 10 {
		t.Fatalf("share-table has %d rows", rows)
	}
}

// TestSeedDifferencesDocumented checks that the guide names every case of
// seedDifferences in its section of deliberate differences.
func TestSeedDifferencesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("docs", "migrating-from-libre-fastapi-jwt.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## Deliberate differences")
	if !ok {
		if len(seedDifferences) > 0 {
			t.Fatal(`the guide has no "## Deliberate differences" section`)
		}
		return
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var missing []string
	for k := range seedDifferences {
		name, _, _ := strings.Cut(k, "/")
		if !strings.Contains(section, "`"+name+"`") {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if missing = slices.Compact(missing); len(missing) > 0 {
		t.Errorf("the guide's deliberate differences do not name these seed cases: %s", strings.Join(missing, ", "))
	}
}
