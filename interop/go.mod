module github.com/librenz/authjwt/interop

go 1.25.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/librenz/authjwt v0.0.0
)

replace github.com/librenz/authjwt => ..
