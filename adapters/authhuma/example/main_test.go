package main

import (
	"testing"

	"github.com/librenz/authjwt"
	"github.com/librenz/authjwt/authjwttest/adaptertest"
)

// TestFlow logs in and calls the guarded routes, as a client would.
func TestFlow(t *testing.T) {
	a, err := authjwt.New(authjwt.Config{Keys: authjwt.KeyConfig{SecretKey: "example-secret-0123456789abcdef-xyz"}})
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.ExampleFlow(t, newAPI(a))
}
