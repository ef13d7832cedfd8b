package redisstore_test

import (
	"testing"

	"github.com/librenz/authjwt/revoke/storetest"
	"github.com/librenz/authjwt/stores/redisstore"
)

// TestRotationRetry: concurrent retries of one refresh token within the
// grace window get one successor, recorded atomically with the consume.
func TestRotationRetry(t *testing.T) {
	c := sharedRedis(t)
	p := uniquePrefix("rotation")
	cleanPrefix(t, c, p)
	storetest.RunRotationRetry(t, redisstore.New(c, redisstore.Options{Prefix: p}))
}
