// Package bench compares authjwt with other Go JWT libraries and with a
// standard-library floor. See README.md.
package bench
