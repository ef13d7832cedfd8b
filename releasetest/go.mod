// Not published: this module is part of the authjwt repository's tests
// and is never tagged (scripts/release.sh lists it as unpublished).
// It tests the release script and installs the released modules as a
// consumer would, through a module proxy built from the tagged commit.
module github.com/librenz/authjwt/releasetest

go 1.26.0

require github.com/librenz/authjwt v0.1.0

require golang.org/x/mod v0.43.0
