package jws

import (
	"strings"
	"testing"
)

// TestIatMilliseconds: "iat" is read to the millisecond (issue 15, item 4),
// exactly for decimal fractions and truncated, so a subject cutoff can
// compare tokens issued within one second; exp and nbf stay whole seconds.
func TestIatMilliseconds(t *testing.T) {
	tests := []struct {
		iat  string
		want int64 // ms; -1 for an error
	}{
		{"1764633600", 1764633600000},
		{"1764633600.123", 1764633600123},
		{"1764633600.1239", 1764633600123},
		{"1764633600.999999", 1764633600999},
		{"1764633600.1", 1764633600100},
		{"1764633600.0", 1764633600000},
		{"1764633600.000", 1764633600000},
		{"17646336001", 17646336001000}, // eleven digits: the slow path
		{"0", 0},
		{"0.5", 500},
		{"1.764633600123e9", 1764633600123}, // through float64: may come out a millisecond early, never late
		{"1764633600123e-3", 1764633600123},
		{"-1", -1},
		{"-0.5", -1},
		{"1e300", -1},
		{`"1764633600"`, -1},
	}
	for _, tt := range tests {
		var c claimsView
		err := ParseClaims([]byte(`{"iat":`+tt.iat+`,"exp":1764633700.9,"nbf":1764633600.9}`), "type", &c)
		if tt.want < 0 {
			if err == nil {
				t.Errorf("iat %s: accepted as %d", tt.iat, c.Iat)
			}
			continue
		}
		if err != nil {
			t.Errorf("iat %s: %v", tt.iat, err)
			continue
		}
		if d := c.Iat - tt.want; d != 0 && !(d == -1 && strings.ContainsAny(tt.iat, "eE")) {
			t.Errorf("iat %s = %d ms, want %d", tt.iat, c.Iat, tt.want)
		}
		if c.Exp != 1764633700 || c.Nbf != 1764633600 {
			t.Errorf("exp, nbf = %d, %d: want whole seconds, truncated", c.Exp, c.Nbf)
		}
	}
}
