package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/librenz/authjwt/revoke"
)

// errStoreNotSupported is returned by [openStore] for store schemes this
// build does not include yet.
var errStoreNotSupported = errors.New("not supported yet by this build")

// openStore opens the revocation store named by a AUTHJWT_DENYLIST_URL
// value. memory:// is built in; redis://, postgres://, mysql:// and
// sqlite:// are recognised but return a configuration error until the store
// modules are wired in here. The caller closes the store (revoke.Closer)
// when it is done. A store that cannot be reached must fail here, at
// start-up, not at the first request.
func openStore(rawURL string) (revoke.Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "memory":
		if (u.Host != "" && u.Host != "memory") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("%q: memory:// takes no host, path or options", redactURL(rawURL))
		}
		return revoke.NewMemory(), nil
	case "redis", "rediss", "postgres", "postgresql", "mysql", "sqlite", "sqlite3":
		return nil, fmt.Errorf("%s:// stores are %w (use memory://)", u.Scheme, errStoreNotSupported)
	case "":
		return nil, fmt.Errorf("%q has no scheme (use memory://, redis://, postgres://, mysql:// or sqlite://)", redactURL(rawURL))
	default:
		return nil, fmt.Errorf("unknown store scheme %q (use memory://, redis://, postgres://, mysql:// or sqlite://)", u.Scheme)
	}
}

// redactURL hides the password of a store URL, for printing.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	return u.Redacted()
}
