package authjwt

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/librenz/authjwt/internal/jws"
)

// Auth creates and verifies tokens and guards HTTP handlers. Create one
// with [New] and share it: it is safe for concurrent use.
type Auth struct {
	cfg Config // defaults applied

	now          func() time.Time
	log          *slog.Logger
	errorHandler func(http.ResponseWriter, *http.Request, error)
	legacyStatus bool // LegacyStatusCodes
	onVerify     func(context.Context, VerifyEvent)
	life         lifetimes // of our tokens
	compatMsgs   bool
	leeway       int64
	maxSize      int
	typeName     string
	trusted      map[string]*trustedIssuer
	ownIssuer    string // with trusted issuers: the iss that routes a token to us (see route)
	vcache       *verifyCache
	dec          *jws.Decoder  // reads every token (see verifyToken)
	enc          *jws.Encoder  // writes every token (see create)
	ring         *keyRing      // our keys: loading, signing, the decoder's resolver
	creds        *credentials  // reads a request's token (header, cookie, ...)
	policy       *claimsPolicy // what our tokens' claims must satisfy
	jar          *cookieJar    // writes the auth cookies
	userLoader   func(context.Context, *Token) (any, error)
	rev          *revoker      // revocation: the store, its bound and failure policy
	dp           *dpopVerifier // DPoP proofs (dpop.go)
	meta         *resourceMeta // RFC 9728 metadata; nil when off
}

// registered claims the type claim may not be named after, and that custom
// claims may not overwrite.
var reservedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"fresh": true, "csrf": true, "aid": true, "auth_time": true, "acr": true,
}

// internedClaims lists the claim values the verifier expects (token types,
// issuers, audiences): a token's claim equal to one of them shares the
// configuration's string instead of a copy. At most eight, the most
// common first, so that looking them up stays cheap.
func internedClaims(cfg Config) []string {
	var out []string
	add := func(s string) {
		if s != "" && len(out) < 8 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !cfg.TypeClaim.Skip {
		add(cfg.TypeClaim.Access)
		add(cfg.TypeClaim.Refresh)
	}
	add(cfg.Claims.DecodeIssuer)
	add(cfg.Claims.EncodeIssuer)
	for _, s := range cfg.Claims.DecodeAudience {
		add(s)
	}
	return out
}

// New validates cfg, applies defaults and returns an Auth. Every
// misconfiguration is reported here as a *[ConfigError] naming the setting
// (its AUTHJWT_* variable when cfg came from [ConfigFromEnv]); none
// surfaces at the first request.
func New(cfg Config) (*Auth, error) {
	a, err := newAuth(cfg)
	if err != nil {
		return nil, cfg.origin.name(err)
	}
	return a, nil
}

// timing is the time as the parts read it.
func (a *Auth) timing() timing { return timing{now: a.now, leeway: a.leeway} }

// Close stops background work (the JWKS caches of trusted issuers, the
// revocation replica's feed reader). The Auth must not be used afterwards.
func (a *Auth) Close() error {
	for _, ti := range a.trusted {
		ti.close()
	}
	if a.rev != nil && a.rev.rep != nil {
		a.rev.rep.close()
	}
	a.rev.close()
	return nil
}

func newAuth(cfg Config) (*Auth, error) {
	a := &Auth{}
	if err := applyDefaults(&cfg); err != nil {
		return nil, err
	}
	a.cfg = cfg
	a.now = cfg.Now
	a.log = cfg.Logger
	a.errorHandler = cfg.ErrorHandler
	a.legacyStatus = cfg.LegacyStatusCodes
	a.onVerify = cfg.Hooks.OnVerify
	a.userLoader = cfg.UserLoader
	a.leeway = int64((cfg.Claims.DecodeLeeway + time.Second - 1) / time.Second)
	a.maxSize = cfg.MaxTokenSize
	if !cfg.TypeClaim.Skip {
		a.typeName = cfg.TypeClaim.Name
	}
	a.enc = jws.NewEncoder(a.typeName)

	ring, err := newKeyRing(&cfg, a.enc, a.log)
	if err != nil {
		return nil, err
	}
	a.ring = ring
	if err := validateRest(&cfg); err != nil {
		return nil, err
	}
	a.cfg.Cookies.SameSite = cfg.Cookies.SameSite // normalised by validateRest
	a.compatMsgs = cfg.Compat == CompatLibreFastAPIJWT
	a.life = lifetimes{access: cfg.Expiry.Access, refresh: cfg.Expiry.Refresh, nonExpiring: cfg.Expiry.AllowNonExpiring}
	a.rev = newRevoker(&cfg.Revocation, a.life, a.timing(), a.log)
	a.rev.onCall, a.rev.onReuse = cfg.Hooks.OnStoreCall, cfg.Hooks.OnRefreshReuse
	if err := a.rev.setSessions(&cfg.Sessions); err != nil {
		return nil, err
	}
	a.policy = newPolicy(&cfg.TypeClaim, cfg.Claims.DecodeIssuer, cfg.Claims.DecodeAudience, cfg.Claims.AllowRefreshWithoutIssuer, a.life, a.timing(), a.compatMsgs)
	if cfg.Claims.RolesClaim != "roles" {
		a.policy.rolesClaim = cfg.Claims.RolesClaim
	}
	creds, err := newCredentials(cfg.TokenLocation, &cfg.Header, &cfg.Cookies, &cfg.WebSocket, a.compatMsgs)
	if err != nil {
		return nil, err
	}
	a.creds = creds
	a.dp = newDPoPVerifier(&cfg, a.log)
	if a.dp.mode != DPoPOff {
		creds.dp = a.dp
	}
	a.jar = newCookieJar(&cfg.Cookies, cfg.Now, creds.cookies, creds.csrfOn)
	if a.creds.cookies {
		if err := validateCookies(&a.cfg); err != nil {
			return nil, err
		}
		if err := a.checkCookieBudget(); err != nil {
			return nil, err
		}
	}
	if cfg.VerifyCacheSize < 0 {
		return nil, settingError("VerifyCacheSize", "negative size %d", cfg.VerifyCacheSize)
	}
	if cfg.VerifyCacheSize > 0 {
		a.vcache = newVerifyCache(cfg.VerifyCacheSize)
	}
	if err := a.loadTrusted(cfg.TrustedIssuers); err != nil {
		return nil, err
	}
	if a.meta, err = newResourceMeta(&cfg, a.creds.headers, a.dp); err != nil {
		return nil, err
	}
	dec, err := jws.NewDecoder(jws.DecoderConfig{
		MaxSize: a.maxSize, TypeClaim: a.typeName, Interned: internedClaims(cfg),
		OwnHeaders: a.ring.own, PayloadFirst: a.trusted != nil,
	})
	if err != nil {
		return nil, fmt.Errorf("authjwt: internal error: own header does not parse: %v", err)
	}
	a.dec = dec
	if err := a.ring.checkTrusted(a.trusted, cfg.Keys.SecretKey); err != nil {
		return nil, err
	}
	// Last: it starts a goroutine, which an error above would leak.
	if err := a.rev.startReplica(&cfg.Revocation, a.now); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}
