package main

import (
	"strings"
	"testing"

	"github.com/librenz/authjwt/revoke"
)

// TestLoadSettings checks the command's own variables and defaults.
func TestLoadSettings(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		gen     bool
		check   func(t *testing.T, st settings)
		wantErr string
	}{
		{"serve defaults: denylist on, memory store, random HS256 secret", nil, true, func(t *testing.T, st settings) {
			if !st.Auth.DenylistEnabled || st.StoreURL != "memory://" || !st.GeneratedSecret || len(st.Auth.SecretKey) < 32 {
				t.Fatalf("%+v", st)
			}
			if _, ok := st.Auth.Store.(*revoke.Memory); !ok {
				t.Fatalf("store %T", st.Auth.Store)
			}
		}, ""},
		{"HS512 gets a 64-byte secret", []string{"AUTHJWT_ALGORITHM=HS512"}, true, func(t *testing.T, st settings) {
			if len(st.Auth.SecretKey) < 64 {
				t.Fatalf("secret of %d bytes", len(st.Auth.SecretKey))
			}
		}, ""},
		{"a configured secret is kept", []string{"AUTHJWT_SECRET_KEY=" + testSecret}, true, func(t *testing.T, st settings) {
			if st.GeneratedSecret || st.Auth.SecretKey != testSecret {
				t.Fatalf("%+v", st)
			}
		}, ""},
		{"no secret is invented outside serve", nil, false, func(t *testing.T, st settings) {
			if st.GeneratedSecret || st.Auth.SecretKey != "" {
				t.Fatal("secret generated")
			}
		}, ""},
		{"asymmetric algorithms get no secret", []string{"AUTHJWT_ALGORITHM=ES256"}, true, func(t *testing.T, st settings) {
			if st.GeneratedSecret {
				t.Fatal("secret generated for ES256")
			}
		}, ""},
		{"denylist off: no store", []string{"AUTHJWT_DENYLIST_ENABLED=false"}, true, func(t *testing.T, st settings) {
			if st.Auth.DenylistEnabled || st.Auth.Store != nil || st.StoreURL != "" {
				t.Fatalf("%+v", st)
			}
		}, ""},
		{"explicit memory URL", []string{"AUTHJWT_DENYLIST_URL=MEMORY://"}, true, nil, ""},
		{"redis is not wired yet", []string{"AUTHJWT_DENYLIST_URL=redis://127.0.0.1:6379/0"}, true, nil, "AUTHJWT_DENYLIST_URL: redis:// stores are not supported yet"},
		{"a password never appears in errors", []string{"AUTHJWT_DENYLIST_URL=postgres://u:hunter2@db/x"}, true, nil, "AUTHJWT_DENYLIST_URL: postgres://"},
		{"memory takes no host", []string{"AUTHJWT_DENYLIST_URL=memory://elsewhere"}, true, nil, "memory:// takes no host"},
		{"no scheme", []string{"AUTHJWT_DENYLIST_URL=localhost:6379"}, true, nil, "AUTHJWT_DENYLIST_URL: "},
		{"trusted issuer not supported yet", []string{"AUTHJWT_TRUSTED_ISSUER=https://x"}, true, nil, "AUTHJWT_TRUSTED_ISSUER"},
		{"typo in a library variable", []string{"AUTHJWT_SECRET=x"}, true, nil, "AUTHJWT_SECRET: unknown variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := loadSettings(tt.environ, loadOptions{generateSecret: tt.gen})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("password leaked: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, st)
			}
		})
	}
}

// TestResolveAddr: --addr, else 127.0.0.1:$PORT, else 127.0.0.1:8000.
func TestResolveAddr(t *testing.T) {
	tests := []struct {
		flag, port, want, err string
	}{
		{"", "", "127.0.0.1:8000", ""},
		{"", "9000", "127.0.0.1:9000", ""},
		{"0.0.0.0:80", "9000", "0.0.0.0:80", ""}, // the flag wins
		{"[::1]:8080", "", "[::1]:8080", ""},
		{"", "99999", "", "PORT"},
		{"localhost", "", "", "--addr"},
		{"localhost:http", "", "", "--addr"},
	}
	for _, tt := range tests {
		got, err := resolveAddr(tt.flag, tt.port)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("resolveAddr(%q, %q) err %v, want one naming %s", tt.flag, tt.port, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolveAddr(%q, %q) = %q, %v; want %q", tt.flag, tt.port, got, err, tt.want)
		}
	}
}
