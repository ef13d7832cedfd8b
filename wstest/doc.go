// Package wstest holds end-to-end tests of authjwt's WebSocket support
// with real clients over real listeners, using github.com/coder/websocket
// and github.com/gorilla/websocket. It is its own module so that neither
// library becomes a dependency of the core module. It exports nothing.
//
// Run with: cd wstest && go test -race ./...
package wstest
