package authjwt

import "context"

// Revoke revokes one verified token (by jti) until it expires. It fails
// with [ErrRevocationDisabled] when the token's type is not checked against
// the store (no Store, or the type left out of Revocation.Checks), and
// with [ErrStoreUnavailable] when the store cannot record it. A valid
// token without "jti" (some providers' tokens, see [TrustedIssuer]) cannot
// be revoked on its own: Revoke returns [ErrNotRevocable] (422) and
// revokes nothing; revoke its subject with [Auth.RevokeSubject] instead.
func (a *Auth) Revoke(ctx context.Context, t *Token) error {
	return a.rev.revoke(ctx, t)
}

// RevokeFamily revokes every token of t's family: the access and refresh
// token issued together (logout), and every token of a refresh-rotation
// chain. A token without a family is revoked alone (as [Auth.Revoke]
// does: [ErrNotRevocable] without "jti" either).
//
// A family holds both token types: the revocation takes effect for the
// types in Revocation.Checks (tokens of a type left out stay valid until
// they expire, as configured), and fails with [ErrRevocationDisabled] when
// no type is checked.
func (a *Auth) RevokeFamily(ctx context.Context, t *Token) error {
	return a.rev.revokeFamily(ctx, t)
}

// RevokeSubject revokes every token of issuer and subject issued up to now
// ("logout everywhere"), and none issued after: the change-password flow
// (RevokeSubject, then a new login) keeps the new session.
//
// The cutoff is now, to the millisecond; a token is refused when it was
// issued at or before it. Our tokens say when they were issued to the
// millisecond (their jti is a UUID version 7 carrying the time; iat stays
// a whole number, as every JWT library expects), and RevokeSubject returns
// only once the clock (Config.Now) has passed the cutoff's millisecond, so
// a token minted after it returns is accepted, even within the same
// second. A fractional iat counts to the millisecond too. A token with a
// whole-second iat and no such jti (the seed's, most providers') is
// compared by its second: one issued in the cutoff's own second is refused
// even if it came after it, the safe side. Instances sharing a store must keep their clocks in step:
// a login on an instance running d behind is refused if it comes within d
// of the cutoff.
//
// It fails with [ErrRevocationDisabled] when no token type is checked
// against the store.
func (a *Auth) RevokeSubject(ctx context.Context, issuer, subject string) error {
	return a.rev.revokeSubject(ctx, issuer, subject)
}
