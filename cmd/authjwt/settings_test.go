package main

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/revoke"
	"github.com/librenz/authjwt/stores/sqlstore"
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
			if !st.Auth.Revocation.Enabled || st.StoreURL != "memory://" || !st.GeneratedSecret || len(st.Auth.Keys.SecretKey) < 32 {
				t.Fatalf("%+v", st)
			}
			if _, ok := st.Auth.Revocation.Store.(*revoke.Memory); !ok {
				t.Fatalf("store %T", st.Auth.Revocation.Store)
			}
		}, ""},
		{"HS512 gets a 64-byte secret", []string{"AUTHJWT_ALGORITHM=HS512"}, true, func(t *testing.T, st settings) {
			if len(st.Auth.Keys.SecretKey) < 64 {
				t.Fatalf("secret of %d bytes", len(st.Auth.Keys.SecretKey))
			}
		}, ""},
		{"a configured secret is kept", []string{"AUTHJWT_SECRET_KEY=" + testSecret}, true, func(t *testing.T, st settings) {
			if st.GeneratedSecret || st.Auth.Keys.SecretKey != testSecret {
				t.Fatalf("%+v", st)
			}
		}, ""},
		{"no secret is invented outside serve", nil, false, func(t *testing.T, st settings) {
			if st.GeneratedSecret || st.Auth.Keys.SecretKey != "" {
				t.Fatal("secret generated")
			}
		}, ""},
		{"asymmetric algorithms get no secret", []string{"AUTHJWT_ALGORITHM=ES256"}, true, func(t *testing.T, st settings) {
			if st.GeneratedSecret {
				t.Fatal("secret generated for ES256")
			}
		}, ""},
		{"denylist off: no store", []string{"AUTHJWT_DENYLIST_ENABLED=false"}, true, func(t *testing.T, st settings) {
			if st.Auth.Revocation.Enabled || st.Auth.Revocation.Store != nil || st.StoreURL != "" {
				t.Fatalf("%+v", st)
			}
		}, ""},
		{"explicit memory URL", []string{"AUTHJWT_DENYLIST_URL=MEMORY://"}, true, nil, ""},
		{"an unreachable Redis is an error at load time (port 1: nothing listens)", []string{"AUTHJWT_DENYLIST_URL=redis://127.0.0.1:1/0"}, true, nil, "AUTHJWT_DENYLIST_URL: cannot reach redis://127.0.0.1:1/0: "},
		{"a password never appears in errors", []string{"AUTHJWT_DENYLIST_URL=postgres://u:hunter2@127.0.0.1:1/x"}, true, nil, "AUTHJWT_DENYLIST_URL: cannot reach postgres://u:xxxxx@127.0.0.1:1/x"},
		{"a MySQL URL without a database is refused before connecting", []string{"AUTHJWT_DENYLIST_URL=mysql://root:hunter2@127.0.0.1:1"}, true, nil, "AUTHJWT_DENYLIST_URL: mysql://root:xxxxx@127.0.0.1:1: needs a database name"},
		{"an unknown Redis option is refused (go-redis would otherwise ignore nothing)", []string{"AUTHJWT_DENYLIST_URL=redis://127.0.0.1:1/0?nope=1"}, true, nil, "unexpected option: nope"},
		{"a SQLite URL takes only table_prefix", []string{"AUTHJWT_DENYLIST_URL=sqlite:///tmp/x.db?cache=shared"}, true, nil, `unknown option "cache"`},
		{"a bad table prefix is refused, not spliced into SQL", []string{"AUTHJWT_DENYLIST_URL=sqlite://" + t.TempDir() + "/x.db?table_prefix=a-b"}, true, nil, "invalid table prefix"},
		{"memory takes no host", []string{"AUTHJWT_DENYLIST_URL=memory://elsewhere"}, true, nil, "memory:// takes no host"},
		{"no scheme", []string{"AUTHJWT_DENYLIST_URL=localhost:6379"}, true, nil, "AUTHJWT_DENYLIST_URL: "},
		{"SQLite store: tables created, file kept", []string{"AUTHJWT_DENYLIST_URL=sqlite://" + t.TempDir() + "/r.db?table_prefix=t1_"}, true, func(t *testing.T, st settings) {
			s, ok := st.Auth.Revocation.Store.(*sqlstore.Store)
			if !ok || s.TablePrefix() != "t1_" || !strings.HasPrefix(st.StoreURL, "sqlite:///") || !strings.Contains(st.StoreURL, `table prefix "t1_"`) {
				t.Fatalf("store %T %q", st.Auth.Revocation.Store, st.StoreURL)
			}
			if _, err := s.DeleteExpired(context.Background()); err != nil {
				t.Fatalf("tables missing: %v", err)
			}
		}, ""},
		{"trusted issuer without an audience is refused", []string{"AUTHJWT_TRUSTED_ISSUER=https://x"}, true, nil, "AUTHJWT_TRUSTED_AUDIENCE: required with AUTHJWT_TRUSTED_ISSUER"},
		{"trusted settings without the issuer are refused", []string{"AUTHJWT_TRUSTED_JWKS_URL=https://x/jwks"}, true, nil, "AUTHJWT_TRUSTED_JWKS_URL: set, but AUTHJWT_TRUSTED_ISSUER is not"},
		{"the typ policy without the issuer is refused", []string{"AUTHJWT_TRUSTED_REQUIRE_AT_JWT=true"}, true, nil, "AUTHJWT_TRUSTED_REQUIRE_AT_JWT: set, but AUTHJWT_TRUSTED_ISSUER is not"},
		{"a typ policy that is not a boolean is refused", []string{"AUTHJWT_TRUSTED_ISSUER=https://x", "AUTHJWT_TRUSTED_AUDIENCE=api", "AUTHJWT_TRUSTED_REQUIRE_AT_JWT=at+jwt"}, true, nil, `AUTHJWT_TRUSTED_REQUIRE_AT_JWT: "at+jwt" is not a boolean`},
		{"trusted issuer: JWT and untyped tokens pass unless configured", []string{"AUTHJWT_TRUSTED_ISSUER=https://x", "AUTHJWT_TRUSTED_AUDIENCE=api"}, true, func(t *testing.T, st settings) {
			if len(st.Auth.TrustedIssuers) != 1 || st.Auth.TrustedIssuers[0].RequireAtJWT {
				t.Fatalf("TrustedIssuers %+v, want RequireAtJWT false by default", st.Auth.TrustedIssuers)
			}
		}, ""},
		{"an empty audience item is refused", []string{"AUTHJWT_TRUSTED_ISSUER=https://x", "AUTHJWT_TRUSTED_AUDIENCE=a,,b"}, true, nil, "AUTHJWT_TRUSTED_AUDIENCE: empty item"},
		{"trusted issuer: every setting reaches the configuration", []string{
			"AUTHJWT_TRUSTED_ISSUER=https://idp.example",
			"AUTHJWT_TRUSTED_AUDIENCE=api, web",
			"AUTHJWT_TRUSTED_JWKS_URL=https://idp.example/keys",
			`AUTHJWT_TRUSTED_ALGORITHMS=["ES256","RS256"]`,
			"AUTHJWT_TRUSTED_ROLES_CLAIM=realm_access.roles",
			"AUTHJWT_TRUSTED_REQUIRE_AT_JWT=yes",
		}, true, func(t *testing.T, st settings) {
			want := authjwt.TrustedIssuer{Issuer: "https://idp.example", Audience: []string{"api", "web"},
				JWKSURL: "https://idp.example/keys", Algorithms: []string{"ES256", "RS256"}, RolesClaim: "realm_access.roles",
				RequireAtJWT: true}
			if len(st.Auth.TrustedIssuers) != 1 || !reflect.DeepEqual(st.Auth.TrustedIssuers[0], want) {
				t.Fatalf("TrustedIssuers %+v, want %+v", st.Auth.TrustedIssuers, want)
			}
		}, ""},
		{"typo in a library variable", []string{"AUTHJWT_SECRET=x"}, true, nil, "AUTHJWT_SECRET: unknown variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := loadSettings(tt.environ, loadOptions{generateSecret: tt.gen, logger: discardLogger()})
			if err == nil {
				t.Cleanup(func() { st.Close() })
			}
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

// TestBoolValueAsTheLibrary: the command's own boolean variable
// (AUTHJWT_TRUSTED_REQUIRE_AT_JWT) reads every form the library's boolean
// variables read, with the same value, and refuses what they refuse.
func TestBoolValueAsTheLibrary(t *testing.T) {
	for _, v := range []string{"1", "t", "T", "true", "TRUE", "True", "y", "Y", "yes", "YES", "on", "On",
		"0", "f", "F", "false", "FALSE", "False", "n", "N", "no", "NO", "off", "Off",
		"2", "enabled", "yes!", " true", "true ", "nope", "at+jwt"} {
		cfg, _, libErr := authjwt.ConfigFromEnvExtra([]string{"AUTHJWT_REFRESH_TOKEN_ROTATION=" + v})
		got, err := boolValue(envTrustedAtJWT, v)
		if (err == nil) != (libErr == nil) {
			t.Errorf("%q: command: %v; library: %v", v, err, libErr)
			continue
		}
		if err == nil && got != cfg.Revocation.Rotation {
			t.Errorf("%q: command reads %v, library %v", v, got, cfg.Revocation.Rotation)
		}
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

// TestStoreDSNs checks the URL translations done without a server.
func TestStoreDSNs(t *testing.T) {
	mysqlTests := []struct {
		name, url, want, err string
	}{
		{"user, password, port and database; parseTime always on", "mysql://root:pw@db.local:3307/test", "root:pw@tcp(db.local:3307)/test?parseTime=true", ""},
		{"the default port is filled in", "mysql://root@127.0.0.1/test", "root@tcp(127.0.0.1:3306)/test?parseTime=true", ""},
		{"driver options pass through to the driver", "mysql://root@127.0.0.1:3306/test?timeout=2s", "root@tcp(127.0.0.1:3306)/test?parseTime=true&timeout=2s", ""},
		{"a password with URL escapes is decoded, not passed escaped", "mysql://u:p%40ss%2Fw@h:1/d", "u:p@ss/w@tcp(h:1)/d?parseTime=true", ""},
		{"a database is required", "mysql://root@127.0.0.1:3306/", "", "needs a database name"},
		{"a host is required", "mysql:///test", "", "needs a host"},
		{"a bad driver option is refused here, not at the first request", "mysql://root@h:1/d?timeout=soon", "", "options"},
	}
	for _, tt := range mysqlTests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := mysqlDSN(u)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: mysqlDSN(%s) err %v, want %q", tt.name, tt.url, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: mysqlDSN(%s) = %q, %v; want %q", tt.name, tt.url, got, err, tt.want)
		}
	}

	sqliteTests := []struct {
		name, url, path, prefix, err string
	}{
		{"absolute path", "sqlite:///var/lib/authjwt/r.db", "/var/lib/authjwt/r.db", "", ""},
		{"relative path", "sqlite://r.db", "r.db", "", ""},
		{"relative path with directories", "sqlite://./data/r.db", "./data/r.db", "", ""},
		{"table prefix", "sqlite:///r.db?table_prefix=app_", "/r.db", "app_", ""},
		{"no path", "sqlite://", "", "", "needs a file"},
		{"an in-memory database would not survive a restart nor be shared", "sqlite://:memory:", "", "", "not a database file path"},
		{"unknown options are refused", "sqlite:///r.db?mode=ro", "", "", "unknown option"},
	}
	for _, tt := range sqliteTests {
		dsn, path, prefix, _, err := sqliteDSN(tt.url)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: sqliteDSN(%s) err %v, want %q", tt.name, tt.url, err, tt.err)
			}
			continue
		}
		if err != nil || path != tt.path || prefix != tt.prefix ||
			dsn != "file:"+tt.path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" {
			t.Errorf("%s: sqliteDSN(%s) = %q, %q, %q, %v", tt.name, tt.url, dsn, path, prefix, err)
		}
	}
}

// TestStoreURLOptions checks the options every store URL takes and the
// Redis URL forms, refused before any connection with a message saying
// what is wrong.
func TestStoreURLOptions(t *testing.T) {
	refused := []struct {
		name, url, want string
	}{
		{"max_conns zero, PostgreSQL", "postgres://u@127.0.0.1:1/db?max_conns=0", "?max_conns=0: want a whole number of connections from 1 to 10000"},
		{"max_conns not a number, MySQL", "mysql://u@127.0.0.1:1/db?max_conns=lots", "?max_conns=lots: want a whole number"},
		{"max_conns empty, SQLite", "sqlite:///tmp/x.db?max_conns=", "?max_conns=: want a whole number"},
		{"max_conns absurd, Redis", "redis://127.0.0.1:1/0?max_conns=1000000", "?max_conns=1000000: want a whole number"},
		{"max_conns twice", "postgres://u@127.0.0.1:1/db?max_conns=1&max_conns=2", "?max_conns= given 2 times"},
		{"max_conns negative, Redis Cluster", "redis-cluster://127.0.0.1:1,127.0.0.1:2?max_conns=-1", "?max_conns=-1"},
		{"cluster without hosts", "redis-cluster://", "needs at least one HOST:PORT"},
		{"cluster with an empty host", "redis-cluster://127.0.0.1:1,,127.0.0.1:2", "empty host"},
		{"cluster with a bad port", "redis-cluster://127.0.0.1:1,127.0.0.1:x", `"x" is not a port number`},
		{"cluster with a database number", "redis-cluster://127.0.0.1:1,127.0.0.1:2/3", "a Redis Cluster has no database number"},
		{"cluster with an unknown option", "redis-cluster://127.0.0.1:1?colour=blue", "unexpected option: colour"},
		{"sentinel without a master name", "redis-sentinel://127.0.0.1:1,127.0.0.1:2", "needs the master name"},
		{"sentinel with a bad database", "redis-sentinel://127.0.0.1:1/mymaster/x", `"x" is not a database number`},
		{"sentinel with too long a path", "redis-sentinel://127.0.0.1:1/mymaster/0/1", "needs the master name"},
		{"a host list behind redis://", "redis://127.0.0.1:1,127.0.0.1:2/0", "127.0.0.1:1,127.0.0.1:2"},
		{"the password never shows", "redis-cluster://u:s3cr3t@127.0.0.1:1,127.0.0.1:x", "u:xxxxx@"},
		{"nor the Sentinels' password", "redis-sentinel://127.0.0.1:1/m/0?sentinel_password=s3cr3t&colour=blue", "sentinel_password=xxxxx"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			s, err := openStore(tt.url, discardLogger())
			if err == nil {
				s.Close()
				t.Fatalf("openStore(%s) succeeded", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("openStore(%s): %v; want it to contain %q (and no password)", tt.url, err, tt.want)
			}
		})
	}

	t.Run("SQLite takes max_conns beside table_prefix", func(t *testing.T) {
		_, _, prefix, n, err := sqliteDSN("sqlite:///r.db?table_prefix=app_&max_conns=4")
		if err != nil || prefix != "app_" || n != 4 {
			t.Fatalf("sqliteDSN = prefix %q, max_conns %d, %v", prefix, n, err)
		}
	})

	t.Run("Redis pool defaults and ?max_conns=", func(t *testing.T) {
		tests := []struct {
			url                 string
			poolSize, maxActive int
		}{
			{"redis://127.0.0.1:1/0", redisDefaultMaxConns, redisDefaultMaxConns},
			{"redis://127.0.0.1:1/0?max_conns=5", 5, 5},
			{"redis://127.0.0.1:1/0?pool_size=7", 7, 7},
			{"redis://127.0.0.1:1/0?pool_size=7&max_active_conns=9", 7, 9},
			{"redis-cluster://127.0.0.1:1,127.0.0.1:2?max_conns=6", 6, 6},
			{"redis-sentinel://127.0.0.1:1,127.0.0.1:2/m/2?max_conns=3", 3, 3},
		}
		for _, tt := range tests {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := newRedisClient(u, tt.url)
			if err != nil {
				t.Fatalf("%s: %v", tt.url, err)
			}
			var pool, active int
			var dial time.Duration
			switch c := rc.client.(type) {
			case *redis.Client:
				pool, active, dial = c.Options().PoolSize, c.Options().MaxActiveConns, c.Options().DialTimeout
			case *redis.ClusterClient:
				o := c.Options()
				pool, active, dial = o.PoolSize, o.MaxActiveConns, o.DialTimeout
				if o.ClusterStateReloadInterval != redisClusterReloadInterval {
					t.Errorf("%s: cluster reload interval %v, want %v", tt.url, o.ClusterStateReloadInterval, redisClusterReloadInterval)
				}
				if len(o.Addrs) != 2 {
					t.Errorf("%s: seeds %v", tt.url, o.Addrs)
				}
			}
			rc.client.Close()
			if pool != tt.poolSize || active != tt.maxActive || dial != redisDialTimeout {
				t.Errorf("%s: PoolSize %d, MaxActiveConns %d, DialTimeout %v; want %d, %d, %v", tt.url, pool, active, dial, tt.poolSize, tt.maxActive, redisDialTimeout)
			}
		}
	})
}

// TestRedisDisplay checks how a Redis URL is printed (start-up line,
// errors, warnings): no password, from the user information or an option,
// and no ?prefix= (printed apart).
func TestRedisDisplay(t *testing.T) {
	tests := []struct {
		url, want string
		secrets   []string
	}{
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", nil},
		{"redis://:pw@127.0.0.1:6379/0?prefix=app:", "redis://:xxxxx@127.0.0.1:6379/0", nil},
		{"redis-cluster://u:pw@a:1,b:2?max_conns=8", "redis-cluster://u:xxxxx@a:1,b:2?max_conns=8", nil},
		{"redis-sentinel://a,b/m/0?sentinel_password=sp&prefix=x", "redis-sentinel://a,b/m/0?sentinel_password=xxxxx", []string{"sp"}},
	}
	for _, tt := range tests {
		got, secrets := redisDisplay(tt.url)
		if got != tt.want || !reflect.DeepEqual(secrets, tt.secrets) {
			t.Errorf("redisDisplay(%s) = %q, %q; want %q, %q", tt.url, got, secrets, tt.want, tt.secrets)
		}
	}
}
