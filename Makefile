# One way to run the checks; every target is a script you can also run by
# hand. CI (.ci/run) starts the services and runs lint, test, the release
# tests, the fresh-clone test, Go 1.27 and a short fuzz.

FUZZTIME ?= 10s

.PHONY: test lint fuzz ci release-check release-test tidy

# Every test of every module: the README's test command.
test:
	scripts/test.sh

# gofmt, go vet, staticcheck (pinned) and the modules' requirements.
lint:
	scripts/lint.sh

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m).
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# Everything CI runs, services included.
ci:
	.ci/run

# The release script's checks on the current tree (no tags made).
release-check:
	scripts/release.sh --check

# The release script in a scratch clone, and the consumer test (Redis).
release-test:
	AUTHJWTTEST_CLONE=1 go test -count=1 -timeout 20m -run '^(TestReleaseScript|TestConsumer)$$' -v ./releasetest/

# go mod tidy in every module (scripts/tidy.sh: siblings from the checkout).
tidy:
	scripts/tidy.sh
