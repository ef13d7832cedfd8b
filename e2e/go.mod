// Not published: this module is part of the authjwt repository's tests
// and is never tagged (scripts/release.sh lists it as unpublished).
// It holds the browser and fresh-clone end-to-end tests, and the DPoP
// clients of other parties (Node.js, Python) driving the reference server.
module github.com/librenz/authjwt/e2e

go 1.26.0

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/librenz/authjwt v0.1.0
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
