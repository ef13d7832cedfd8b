// Not published: this module is part of the authjwt repository's tests
// and is never tagged (scripts/release.sh lists it as unpublished).
// It is the chi example (chi uses the net/http middleware directly).
module github.com/librenz/authjwt/adapters/chi-example

go 1.26.0

require github.com/librenz/authjwt v0.1.0

require github.com/go-chi/chi/v5 v5.5.0
