// Package interop holds tests only: interoperability and differential
// fuzzing between authjwt and an independent JOSE implementation
// (github.com/golang-jwt/jwt/v5). It lives in its own module so that the
// core module never depends on a third-party JWT library.
package interop
