module github.com/librenz/authjwt/wstest

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/librenz/authjwt v0.0.0
)

replace github.com/librenz/authjwt => ..
