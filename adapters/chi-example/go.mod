module github.com/librenz/authjwt/adapters/chi-example

go 1.26.0

require github.com/librenz/authjwt v0.0.0

require github.com/go-chi/chi/v5 v5.5.0

replace github.com/librenz/authjwt => ../..
