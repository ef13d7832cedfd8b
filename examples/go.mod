// Not published: this module is part of the authjwt repository's tests
// and is never tagged (scripts/release.sh lists it as unpublished).
// It holds the runnable examples.
module github.com/librenz/authjwt/examples

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/go-chi/chi/v5 v5.5.0
	github.com/librenz/authjwt v0.1.0
	github.com/librenz/authjwt/stores/redisstore v0.1.0
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
