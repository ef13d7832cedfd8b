package authjwt

import "unsafe"

// unsafeString returns a string sharing b's memory; b must never be
// modified afterwards.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
