// Package keys holds the key material of authjwt: algorithms and the keys
// that fit them, PEM parsing, JSON Web Keys (RFC 7517/7518) and their RFC 7638
// thumbprints, rotating key sets ([Set]), an HTTP handler serving a JWKS
// ([Handler]), and a cached key set fetched from a third-party identity
// provider ([Remote]).
//
// The package imports only the standard library. Every parser refuses what
// it does not fully understand: private or symmetric members in a JWK, weak
// RSA keys, EC points off their curve, algorithms that do not fit the key,
// and the "none" algorithm, which no function here knows.
//
// Error messages start with "authjwt: ".
package keys
