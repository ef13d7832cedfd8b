module github.com/librenz/authjwt/adapters/adaptercases

go 1.26.0

require github.com/librenz/authjwt v0.0.0

replace github.com/librenz/authjwt => ../..
