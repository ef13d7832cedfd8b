// Not published: this module is part of the authjwt repository's tests
// and is never tagged (scripts/release.sh lists it as unpublished).
// It tests the WebSocket support with several WebSocket libraries.
module github.com/librenz/authjwt/wstest

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/librenz/authjwt v0.1.0
)
