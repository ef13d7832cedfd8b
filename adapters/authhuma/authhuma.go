// Package authhuma guards huma v2 operations with authjwt, and documents
// the guard in the API's OpenAPI document from the same declaration.
//
//	g := authhuma.New(api, a) // registers the security schemes
//	huma.Get(api, "/protected", handler, g.Required())
//	huma.Get(api, "/optional", handler, g.Optional())
//	huma.Get(api, "/admin", handler, g.RequireRoles("admin"))
//
// Each modifier sets the operation's security requirement (so the docs
// page shows a lock and its "Authorize" button sends the token; optional
// operations get the empty requirement {} first, OpenAPI's way of saying
// credentials are optional), documents the error responses, and adds one
// per-operation middleware that enforces the very requirement the
// document shows. Modifiers combine: g.FreshRequired() and
// g.RequireRoles("admin") on one operation require a fresh token holding
// the role.
//
// The names are those of [authjwt.Auth]'s net/http middleware and of the
// gin and echo adapters: [Guard.Middleware] takes any
// [authjwt.Requirement]; [Guard.Required], [Guard.Optional],
// [Guard.RefreshRequired], [Guard.FreshRequired], [Guard.RequireRoles] and
// [Guard.RequireClaims] are its shorthands; [AddSecuritySchemes] is
// [authjwt.Auth.AddSecuritySchemes] for a huma document.
//
// The middleware calls [authjwt.Auth.Check] on the request, so header,
// cookie, CSRF and cross-origin behaviour are those of the net/http
// middleware. The verified token is in the handler's context:
// authjwt.FromContext(ctx) (or [Token]).
//
// Refused requests are answered as huma errors (huma.WriteErr, so the
// application's huma.NewError shapes them, RFC 9457 by default) with the
// library's status and message, its WWW-Authenticate and Cache-Control
// headers. [WithLibraryErrors] answers with the library's own body instead
// ({"detail","code"}, byte for byte what the net/http middleware writes).
package authhuma

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/librenz/authjwt"
)

// MetadataKey is the operation metadata key holding the operation's
// *authjwt.Requirement (see [RequirementOf]).
const MetadataKey = "authjwt.requirement"

// Guard adds authjwt guards to the operations of one huma API.
type Guard struct {
	auth          *authjwt.Auth
	api           huma.API
	libraryErrors bool
}

// Option configures [New].
type Option func(*Guard)

// WithLibraryErrors answers refused requests with the library's error body
// and headers, exactly as [authjwt.Auth.WriteError] writes them (a
// configured ErrorHandler and LegacyStatusCodes apply), instead of huma's
// error model. The documented error responses then use the library's
// schema ([ErrorBody]).
func WithLibraryErrors() Option { return func(g *Guard) { g.libraryErrors = true } }

// New returns a Guard for api and registers a's security schemes
// ([authjwt.Auth.SecuritySchemes]) in api's OpenAPI document.
func New(api huma.API, a *authjwt.Auth, opts ...Option) *Guard {
	g := &Guard{auth: a, api: api}
	for _, o := range opts {
		o(g)
	}
	AddSecuritySchemes(api.OpenAPI(), a)
	return g
}

// AddSecuritySchemes adds a's security schemes to doc's components, keeping
// schemes registered under other names.
func AddSecuritySchemes(doc *huma.OpenAPI, a *authjwt.Auth) {
	if doc.Components == nil {
		doc.Components = &huma.Components{}
	}
	if doc.Components.SecuritySchemes == nil {
		doc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	for name, s := range a.SecuritySchemes() {
		doc.Components.SecuritySchemes[name] = &huma.SecurityScheme{
			Type: s.Type, Description: s.Description, Name: s.Name, In: s.In,
			Scheme: s.Scheme, BearerFormat: s.BearerFormat,
		}
	}
}

// Middleware returns an operation modifier guarding the operation with
// req: it sets the operation's security and error responses and adds the
// middleware enforcing it. On an operation already guarded by g, it
// combines req with the existing requirement (flags or-ed, roles and
// claims appended) and the one middleware enforces the combination.
func (g *Guard) Middleware(req authjwt.Requirement) func(*huma.Operation) {
	return func(op *huma.Operation) {
		if op.Metadata == nil {
			op.Metadata = map[string]any{}
		}
		cur, ok := op.Metadata[MetadataKey].(*authjwt.Requirement)
		if ok {
			cur.Optional = cur.Optional || req.Optional
			cur.Refresh = cur.Refresh || req.Refresh
			cur.Fresh = cur.Fresh || req.Fresh
			cur.Roles = append(cur.Roles, req.Roles...)
			cur.Claims = append(cur.Claims, req.Claims...)
		} else {
			c := req
			c.Roles = slices.Clone(req.Roles)
			c.Claims = slices.Clone(req.Claims)
			cur = &c
			op.Metadata[MetadataKey] = cur
			op.Middlewares = append(op.Middlewares, g.enforce(cur))
		}
		op.Security = nil
		for _, r := range g.auth.Security(op.Method, *cur) {
			op.Security = append(op.Security, map[string][]string(r))
		}
		g.documentErrors(op, *cur)
	}
}

// Required guards the operation with a valid access token.
func (g *Guard) Required() func(*huma.Operation) { return g.Middleware(authjwt.Requirement{}) }

// Optional lets requests without a token through and refuses invalid ones.
func (g *Guard) Optional() func(*huma.Operation) {
	return g.Middleware(authjwt.Requirement{Optional: true})
}

// RefreshRequired guards the operation with a valid refresh token.
func (g *Guard) RefreshRequired() func(*huma.Operation) {
	return g.Middleware(authjwt.Requirement{Refresh: true})
}

// FreshRequired guards the operation with a fresh access token.
func (g *Guard) FreshRequired() func(*huma.Operation) {
	return g.Middleware(authjwt.Requirement{Fresh: true})
}

// RequireRoles guards the operation with an access token whose "roles"
// claim holds at least one of roles.
func (g *Guard) RequireRoles(roles ...string) func(*huma.Operation) {
	return g.Middleware(authjwt.Requirement{Roles: roles})
}

// RequireClaims guards the operation with an access token carrying every
// named claim.
func (g *Guard) RequireClaims(names ...string) func(*huma.Operation) {
	return g.Middleware(authjwt.Requirement{Claims: names})
}

// RequirementOf returns the requirement the Guard enforces on op.
func RequirementOf(op *huma.Operation) (authjwt.Requirement, bool) {
	r, ok := op.Metadata[MetadataKey].(*authjwt.Requirement)
	if !ok {
		return authjwt.Requirement{}, false
	}
	return *r, true
}

// Token returns the token verified for the handler's context, or nil: it
// is authjwt.FromContext.
func Token(ctx context.Context) *authjwt.Token { return authjwt.FromContext(ctx) }

// ErrorBody is the library's error body, for [WithLibraryErrors]'s
// documented responses.
type ErrorBody struct {
	// Detail is the error message.
	Detail string `json:"detail" doc:"The error message"`
	// Code is the stable error code.
	Code string `json:"code" doc:"A stable, machine-readable error code"`
}

// documentErrors adds the error statuses req may answer with.
func (g *Guard) documentErrors(op *huma.Operation, req authjwt.Requirement) {
	statuses := g.auth.ErrorStatuses(req)
	if !g.libraryErrors {
		for _, s := range statuses {
			if !slices.Contains(op.Errors, s) {
				op.Errors = append(op.Errors, s)
			}
		}
		return
	}
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	schema := g.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[ErrorBody](), true, "ErrorBody")
	for _, s := range statuses {
		key := strconv.Itoa(s)
		if op.Responses[key] != nil {
			continue
		}
		op.Responses[key] = &huma.Response{
			Description: http.StatusText(s),
			Content:     map[string]*huma.MediaType{"application/json": {Schema: schema}},
		}
	}
}

// enforce returns the huma middleware enforcing *req (shared with the
// operation's metadata).
func (g *Guard) enforce(req *authjwt.Requirement) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		r := Request(ctx)
		t, err := g.auth.Check(r, *req)
		if err != nil {
			g.writeError(ctx, r, err)
			return
		}
		if t != nil {
			ctx = huma.WithContext(ctx, authjwt.NewContext(ctx.Context(), t))
		}
		next(ctx)
	}
}

// Request returns an *http.Request describing ctx's request (method, URL,
// host, headers with cookies, remote address, TLS state and context;
// no body), which is all [authjwt.Auth.Check] reads. It works with every
// huma adapter (humago, humachi, humagin, humaecho, humafiber…).
func Request(ctx huma.Context) *http.Request {
	u := ctx.URL()
	v := ctx.Version()
	r := &http.Request{
		Method:     ctx.Method(),
		URL:        &u,
		Proto:      v.Proto,
		ProtoMajor: v.ProtoMajor,
		ProtoMinor: v.ProtoMinor,
		Header:     http.Header{},
		Body:       http.NoBody,
		Host:       ctx.Host(),
		RemoteAddr: ctx.RemoteAddr(),
		RequestURI: u.RequestURI(),
		TLS:        ctx.TLS(),
	}
	ctx.EachHeader(func(name, value string) { r.Header.Add(name, value) })
	return r.WithContext(ctx.Context())
}

// capture records what authjwt.Auth.WriteError writes.
type capture struct {
	h      http.Header
	status int
	body   []byte
}

func (c *capture) Header() http.Header { return c.h }
func (c *capture) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
}
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}

// writeError answers a refused request. The library writes the response
// first into a capture, so its status (LegacyStatusCodes included), its
// headers and, in library mode, its body are exactly net/http's.
func (g *Guard) writeError(ctx huma.Context, r *http.Request, err error) {
	c := &capture{h: http.Header{}}
	g.auth.WriteError(c, r, err)
	if c.status == 0 {
		c.status = http.StatusUnauthorized
	}
	if g.libraryErrors {
		for k, vs := range c.h {
			for i, v := range vs {
				if i == 0 {
					ctx.SetHeader(k, v)
				} else {
					ctx.AppendHeader(k, v)
				}
			}
		}
		ctx.SetStatus(c.status)
		ctx.BodyWriter().Write(c.body)
		return
	}
	for _, k := range []string{"WWW-Authenticate", "Cache-Control", "X-Content-Type-Options"} {
		if v := c.h.Get(k); v != "" {
			ctx.SetHeader(k, v)
		}
	}
	huma.WriteErr(g.api, ctx, c.status, authjwt.AsError(err).Message)
}
